// POST /users, GET /users/{id} and DELETE /users/{id} through @clerk/backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, date, marker, ms, phone, rejectsWith, wallet } from './helpers.mjs';

test('createUser returns every field', async () => {
  const m = marker();
  const emails = [`first.${m}@example.com`, `second.${m}@example.org`];
  const phones = [phone()];
  const wallets = [wallet()];
  const before = Date.now();

  const user = await clerk.users.createUser({
    emailAddress: emails,
    phoneNumber: phones,
    web3Wallet: wallets,
    username: `user_${m}`,
    externalId: `ext-${m}`,
    firstName: 'Ada',
    lastName: 'Lovelace',
    locale: 'fr-FR',
    publicMetadata: { role: 'admin', nested: { level: 1 } },
    privateMetadata: { secret: [1, 2, 3] },
    unsafeMetadata: { theme: 'dark' },
    createdAt: date(2015, 6, 15, 12),
    legalAcceptedAt: date(2016, 3, 1, 8),
    deleteSelfEnabled: false,
    createOrganizationEnabled: false,
    createOrganizationsLimit: 5,
    bypassClientTrust: true,
  });

  // Only a payload with object "user" is turned into a User, which keeps the raw JSON.
  assert.equal(user.raw?.object, 'user');
  assert.match(user.id, /^user_/);
  assert.equal(user.externalId, `ext-${m}`);
  assert.equal(user.username, `user_${m}`);
  assert.equal(user.firstName, 'Ada');
  assert.equal(user.lastName, 'Lovelace');
  assert.equal(user.fullName, 'Ada Lovelace');
  assert.equal(user.locale, 'fr-FR');

  assert.deepEqual(user.emailAddresses.map((e) => e.emailAddress), emails);
  assert.equal(user.primaryEmailAddressId, user.emailAddresses[0].id);
  assert.equal(user.primaryEmailAddress?.emailAddress, emails[0]);
  for (const email of user.emailAddresses) {
    assert.match(email.id, /^idn_/);
    assert.equal(email.verification.status, 'verified');
    assert.equal(email.verification.strategy, 'admin');
    assert.deepEqual(email.linkedTo, []);
  }
  assert.deepEqual(user.phoneNumbers.map((p) => p.phoneNumber), phones);
  assert.equal(user.primaryPhoneNumber?.phoneNumber, phones[0]);
  assert.match(user.phoneNumbers[0].id, /^idn_/);
  assert.equal(user.phoneNumbers[0].verification.status, 'verified');
  assert.equal(user.phoneNumbers[0].reservedForSecondFactor, false);
  assert.equal(user.phoneNumbers[0].defaultSecondFactor, false);
  assert.deepEqual(user.phoneNumbers[0].linkedTo, []);
  assert.deepEqual(user.web3Wallets.map((w) => w.web3Wallet), wallets);
  assert.equal(user.primaryWeb3Wallet?.web3Wallet, wallets[0]);
  assert.equal(user.web3Wallets[0].verification.status, 'verified');

  assert.deepEqual(user.publicMetadata, { role: 'admin', nested: { level: 1 } });
  assert.deepEqual(user.privateMetadata, { secret: [1, 2, 3] });
  assert.deepEqual(user.unsafeMetadata, { theme: 'dark' });

  assert.equal(user.createdAt, ms(2015, 6, 15, 12));
  assert.equal(user.legalAcceptedAt, ms(2016, 3, 1, 8));
  assert.ok(user.updatedAt >= before - 1000 && user.updatedAt <= Date.now() + 1000, `updatedAt ${user.updatedAt}`);
  assert.equal(user.deleteSelfEnabled, false);
  assert.equal(user.createOrganizationEnabled, false);
  assert.equal(user.createOrganizationsLimit, 5);
  assert.equal(user.raw.bypass_client_trust, true);

  // Nothing else was asked for, so every credential and activity field is empty.
  assert.equal(user.hasImage, false);
  assert.ok(typeof user.imageUrl === 'string' && user.imageUrl.length > 0);
  assert.equal(user.passwordEnabled, false);
  assert.equal(user.totpEnabled, false);
  assert.equal(user.backupCodeEnabled, false);
  assert.equal(user.twoFactorEnabled, false);
  assert.equal(user.banned, false);
  assert.equal(user.locked, false);
  assert.equal(user.lastSignInAt, null);
  assert.equal(user.lastActiveAt, null);
  assert.deepEqual(user.externalAccounts, []);
  assert.deepEqual(user.enterpriseAccounts, []);
  assert.equal(user.deprovisioned, false);
});

test('createUser defaults', async () => {
  const m = marker();
  const before = Date.now();
  const user = await clerk.users.createUser({ emailAddress: [`plain.${m}@example.com`] });

  assert.equal(user.username, null);
  assert.equal(user.firstName, null);
  assert.equal(user.lastName, null);
  assert.equal(user.fullName, null);
  assert.equal(user.externalId, null);
  assert.equal(user.primaryPhoneNumberId, null);
  assert.equal(user.primaryWeb3WalletId, null);
  assert.deepEqual(user.phoneNumbers, []);
  assert.deepEqual(user.web3Wallets, []);
  assert.deepEqual(user.publicMetadata, {});
  assert.deepEqual(user.privateMetadata, {});
  assert.deepEqual(user.unsafeMetadata, {});
  assert.ok(user.createdAt >= before - 1000 && user.createdAt <= Date.now() + 1000, `createdAt ${user.createdAt}`);
  assert.equal(user.updatedAt, user.createdAt);
  assert.equal(user.legalAcceptedAt, null);
  assert.equal(user.deleteSelfEnabled, true);
  assert.equal(user.createOrganizationEnabled, true);
  assert.equal(user.createOrganizationsLimit, null);
});

test('getUser returns the created user', async () => {
  const m = marker();
  // Several identifiers of each kind, so that their order is part of what must match.
  const created = await clerk.users.createUser({
    emailAddress: [`get.${m}@example.com`, `get2.${m}@example.com`, `get3.${m}@example.com`],
    phoneNumber: [phone(), phone(), phone()],
    web3Wallet: [wallet(), wallet(), wallet()],
    username: `get_${m}`,
    firstName: 'Grace',
    publicMetadata: { k: 'v' },
  });
  const fetched = await clerk.users.getUser(created.id);
  assert.equal(fetched.raw?.object, 'user');
  assert.deepEqual(fetched.emailAddresses.map((e) => e.emailAddress), created.emailAddresses.map((e) => e.emailAddress));
  assert.deepEqual(fetched.phoneNumbers.map((p) => p.phoneNumber), created.phoneNumbers.map((p) => p.phoneNumber));
  assert.deepEqual(fetched.web3Wallets.map((w) => w.web3Wallet), created.web3Wallets.map((w) => w.web3Wallet));
  assert.deepEqual(fetched.raw, created.raw);
});

test('deleteUser, then getUser is not found', async () => {
  const m = marker();
  const user = await clerk.users.createUser({ emailAddress: [`del.${m}@example.com`], externalId: `del-${m}` });

  const deleted = await clerk.users.deleteUser(user.id);
  assert.equal(deleted.object, 'user');
  assert.equal(deleted.id, user.id);
  assert.equal(deleted.deleted, true);

  await rejectsWith(clerk.users.getUser(user.id), 404, 'resource_not_found');
  const { data, totalCount } = await clerk.users.getUserList({ userId: [user.id] });
  assert.deepEqual(data, []);
  assert.equal(totalCount, 0);

  // The identifiers are free again once their owner is gone.
  const again = await clerk.users.createUser({ emailAddress: [`del.${m}@example.com`], externalId: `del-${m}` });
  assert.notEqual(again.id, user.id);
});
