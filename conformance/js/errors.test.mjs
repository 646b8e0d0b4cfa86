// Error statuses and codes that applications branch on, as ClerkAPIResponseError exposes them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, firstError, makeClient, marker, phone, rejectsWith, wallet } from './helpers.mjs';

const MISSING_ID = 'user_2g7np7Hrk0SN6kj5EDMLDaKNL0S';

async function assertIdentifierExists(promise, paramName) {
  const { status, error } = await firstError(promise);
  assert.equal(status, 422);
  assert.equal(error.code, 'form_identifier_exists');
  assert.equal(error.meta?.paramName, paramName);
  assert.ok(error.message && error.longMessage, 'message and long_message are set');
}

test('duplicate email on create', async () => {
  const email = `dup.${marker()}@example.com`;
  await clerk.users.createUser({ emailAddress: [email] });
  await assertIdentifierExists(clerk.users.createUser({ emailAddress: [email] }), 'email_address');
  assert.equal(await clerk.users.getCount({ emailAddress: [email] }), 1);
});

test('duplicate username on create', async () => {
  const m = marker();
  await clerk.users.createUser({ emailAddress: [`u1.${m}@example.com`], username: `dup_${m}` });
  await assertIdentifierExists(
    clerk.users.createUser({ emailAddress: [`u2.${m}@example.com`], username: `dup_${m}` }),
    'username',
  );
  // The refused create left nothing behind, not even its email address.
  assert.equal(await clerk.users.getCount({ emailAddress: [`u2.${m}@example.com`] }), 0);
});

test('duplicate phone number on create', async () => {
  const m = marker();
  const number = phone();
  await clerk.users.createUser({ emailAddress: [`p1.${m}@example.com`], phoneNumber: [number] });
  await assertIdentifierExists(
    clerk.users.createUser({ emailAddress: [`p2.${m}@example.com`], phoneNumber: [number] }),
    'phone_number',
  );
});

test('duplicate web3 wallet on create', async () => {
  const m = marker();
  const address = wallet();
  await clerk.users.createUser({ emailAddress: [`w1.${m}@example.com`], web3Wallet: [address] });
  const { status, error } = await firstError(
    clerk.users.createUser({ emailAddress: [`w2.${m}@example.com`], web3Wallet: [address] }),
  );
  assert.equal(status, 422);
  assert.equal(error.code, 'form_identifier_exists');
});

test('duplicate external id on create', async () => {
  // The external id must be unique; the status and code of the refusal are not documented.
  const m = marker();
  await clerk.users.createUser({ emailAddress: [`e1.${m}@example.com`], externalId: `dup-${m}` });
  const { status } = await firstError(clerk.users.createUser({ emailAddress: [`e2.${m}@example.com`], externalId: `dup-${m}` }));
  assert.ok(status >= 400 && status < 500, `status ${status}`);
  assert.equal(await clerk.users.getCount({ externalId: [`dup-${m}`] }), 1);
});

test('duplicate username on update', async () => {
  const m = marker();
  await clerk.users.createUser({ emailAddress: [`x1.${m}@example.com`], username: `taken_${m}` });
  const other = await clerk.users.createUser({ emailAddress: [`x2.${m}@example.com`], username: `mine_${m}` });
  await assertIdentifierExists(clerk.users.updateUser(other.id, { username: `taken_${m}` }), 'username');
  assert.equal((await clerk.users.getUser(other.id)).username, `mine_${m}`);
});

const unknownUserCalls = {
  getUser: (c) => c.users.getUser(MISSING_ID),
  updateUser: (c) => c.users.updateUser(MISSING_ID, { firstName: 'Nobody' }),
  deleteUser: (c) => c.users.deleteUser(MISSING_ID),
  updateUserMetadata: (c) => c.users.updateUserMetadata(MISSING_ID, { publicMetadata: { a: 1 } }),
  replaceUserMetadata: (c) => c.users.replaceUserMetadata(MISSING_ID, { publicMetadata: { a: 1 } }),
  banUser: (c) => c.users.banUser(MISSING_ID),
  unbanUser: (c) => c.users.unbanUser(MISSING_ID),
  lockUser: (c) => c.users.lockUser(MISSING_ID),
  unlockUser: (c) => c.users.unlockUser(MISSING_ID),
};

for (const [name, call] of Object.entries(unknownUserCalls)) {
  test(`${name} of an unknown user is 404 resource_not_found`, async () => {
    await rejectsWith(call(clerk), 404, 'resource_not_found');
  });
}

const calls = {
  getUserList: (c) => c.users.getUserList(),
  getCount: (c) => c.users.getCount(),
  getUser: (c) => c.users.getUser(MISSING_ID),
  createUser: (c) => c.users.createUser({ emailAddress: [`k.${marker()}@example.com`] }),
};

for (const [name, call] of Object.entries(calls)) {
  test(`${name} with a wrong secret key is 401`, async () => {
    const { status, error } = await firstError(call(makeClient(`sk_test_${marker(32)}`)));
    assert.equal(status, 401);
    assert.ok(error?.code, 'the envelope carries an error code');
  });
}

// limit 0 cannot be sent: the SDK drops falsy query values.
test('getUserList with limit 501 is refused with 422', async () => {
  await rejectsWith(clerk.users.getUserList({ limit: 501 }), 422);
});
