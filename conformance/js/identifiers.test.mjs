// emailAddresses and phoneNumbers (create, get, update, delete), and the user-scoped deletes of
// web3 wallets, passkeys and external accounts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, marker, phone, rejectsWith, wallet } from './helpers.mjs';

test('an email address is added, verified, made primary and deleted', async () => {
  const tag = marker();
  const user = await clerk.users.createUser({ emailAddress: [`first.${tag}@example.com`] });
  const firstId = user.primaryEmailAddressId;

  const added = await clerk.emailAddresses.createEmailAddress({
    userId: user.id,
    emailAddress: `second.${tag}@example.com`,
  });
  assert.equal(added.emailAddress, `second.${tag}@example.com`);
  assert.equal(added.verification, null);
  assert.deepEqual(added.linkedTo, []);
  assert.equal((await clerk.emailAddresses.getEmailAddress(added.id)).id, added.id);

  const verified = await clerk.emailAddresses.updateEmailAddress(added.id, { verified: true });
  assert.equal(verified.verification.status, 'verified');
  await clerk.emailAddresses.updateEmailAddress(added.id, { primary: true });
  assert.equal((await clerk.users.getUser(user.id)).primaryEmailAddressId, added.id);

  const deleted = await clerk.emailAddresses.deleteEmailAddress(firstId);
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.id, firstId);
  const after = await clerk.users.getUser(user.id);
  assert.deepEqual(after.emailAddresses.map((e) => e.emailAddress), [`second.${tag}@example.com`]);
});

test('email address rules answer with Clerk error codes and change nothing', async () => {
  const tag = marker();
  await clerk.users.createUser({ emailAddress: [`taken.${tag}@example.com`] });
  const user = await clerk.users.createUser({ emailAddress: [`mine.${tag}@example.com`] });
  await rejectsWith(
    clerk.emailAddresses.createEmailAddress({ userId: user.id, emailAddress: `TAKEN.${tag}@example.com` }),
    422,
    'form_identifier_exists',
  );
  await rejectsWith(
    clerk.emailAddresses.createEmailAddress({ userId: user.id, emailAddress: `p.${tag}@example.com`, primary: true }),
    422,
    'form_verification_needed',
  );
  await rejectsWith(clerk.emailAddresses.deleteEmailAddress(user.primaryEmailAddressId), 400, 'identification_deletion_failed');
  await rejectsWith(clerk.emailAddresses.getEmailAddress('idn_missing'), 404, 'resource_not_found');
  const after = await clerk.users.getUser(user.id);
  assert.equal(after.emailAddresses.length, 1);
  assert.equal(after.primaryEmailAddressId, user.primaryEmailAddressId);
});

test('a phone number becomes the default second factor and is deleted', async () => {
  const user = await clerk.users.createUser({ username: `p_${marker()}` });
  const number = phone();
  const created = await clerk.phoneNumbers.createPhoneNumber({
    userId: user.id,
    phoneNumber: number,
    verified: true,
    reservedForSecondFactor: true,
  });
  assert.equal(created.phoneNumber, number);
  assert.equal(created.reservedForSecondFactor, true);
  assert.equal(created.defaultSecondFactor, true);
  assert.equal((await clerk.phoneNumbers.getPhoneNumber(created.id)).id, created.id);
  const updated = await clerk.phoneNumbers.updatePhoneNumber(created.id, { reservedForSecondFactor: false });
  assert.equal(updated.reservedForSecondFactor, false);
  await rejectsWith(
    clerk.phoneNumbers.createPhoneNumber({ userId: user.id, phoneNumber: '555-0100' }),
    422,
    'form_param_format_invalid',
  );
  const second = await clerk.phoneNumbers.createPhoneNumber({ userId: user.id, phoneNumber: phone(), verified: true, primary: true });
  const deleted = await clerk.phoneNumbers.deletePhoneNumber(created.id);
  assert.equal(deleted.deleted, true);
  const after = await clerk.users.getUser(user.id);
  assert.deepEqual(after.phoneNumbers.map((p) => p.id), [second.id]);
});

test('a web3 wallet is deleted; unknown passkeys and external accounts are not found', async () => {
  const address = wallet();
  const user = await clerk.users.createUser({ web3Wallet: [address], username: `w_${marker()}` });
  const walletId = user.web3Wallets[0].id;
  const deleted = await clerk.users.deleteUserWeb3Wallet({ userId: user.id, web3WalletIdentificationId: walletId });
  assert.equal(deleted.deleted, true);
  assert.equal(deleted.object, 'web3_wallet');
  assert.deepEqual((await clerk.users.getUser(user.id)).web3Wallets, []);
  await rejectsWith(
    clerk.users.deleteUserPasskey({ userId: user.id, passkeyIdentificationId: 'idn_missing' }),
    404,
    'resource_not_found',
  );
  await rejectsWith(
    clerk.users.deleteUserExternalAccount({ userId: user.id, externalAccountId: 'eac_missing' }),
    404,
    'resource_not_found',
  );
});
