// banUser, unbanUser, lockUser and unlockUser. These are body-less POSTs that the SDK still
// sends with Content-Type application/json. The JS SDK has no bulk ban.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, ids, marker } from './helpers.mjs';

const newUser = () => clerk.users.createUser({ emailAddress: [`mod.${marker()}@example.com`] });

test('banUser and unbanUser', async () => {
  const user = await newUser();
  const banned = await clerk.users.banUser(user.id);
  assert.equal(banned.id, user.id);
  assert.equal(banned.banned, true);
  assert.equal((await clerk.users.getUser(user.id)).banned, true);
  const { data, totalCount } = await clerk.users.getUserList({ userId: [user.id], banned: true });
  assert.deepEqual(ids(data), [user.id]);
  assert.equal(totalCount, 1);

  const unbanned = await clerk.users.unbanUser(user.id);
  assert.equal(unbanned.banned, false);
  assert.equal((await clerk.users.getUser(user.id)).banned, false);
  assert.equal(await clerk.users.getCount({ userId: [user.id], banned: true }), 0);
});

test('lockUser and unlockUser', async () => {
  const user = await newUser();
  assert.equal(user.locked, false);

  const locked = await clerk.users.lockUser(user.id);
  assert.equal(locked.locked, true);
  // The default lockout lasts an hour; an indefinite one would be null.
  const expiresIn = locked.raw.lockout_expires_in_seconds;
  assert.ok(expiresIn === null || (expiresIn > 0 && expiresIn <= 3600), `lockout_expires_in_seconds ${expiresIn}`);
  assert.equal((await clerk.users.getUser(user.id)).locked, true);

  const unlocked = await clerk.users.unlockUser(user.id);
  assert.equal(unlocked.locked, false);
  assert.equal(unlocked.raw.lockout_expires_in_seconds, null);
  assert.equal((await clerk.users.getUser(user.id)).locked, false);
});
