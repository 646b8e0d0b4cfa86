// verifyTOTP, deleteUserTOTP, deleteUserBackupCodes and disableUserMFA against TOTP secrets and
// backup codes given at creation.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';

import { clerk, marker, rejectsWith } from './helpers.mjs';

const SECRET = 'JBSWY3DPEHPK3PXP';

/** RFC 6238 with SHA-1, 30-second steps and 6 digits. */
function totpNow(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of secret) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('verifyTOTP accepts a current code and a backup code once', async () => {
  const user = await clerk.users.createUser({
    emailAddress: [`mfa.${marker()}@example.com`],
    totpSecret: SECRET,
    backupCodes: ['recovery-one'],
  });
  assert.equal(user.totpEnabled, true);
  assert.equal(user.backupCodeEnabled, true);
  assert.equal(user.twoFactorEnabled, true);

  const totp = await clerk.users.verifyTOTP({ userId: user.id, code: totpNow(SECRET) });
  assert.deepEqual(totp, { verified: true, code_type: 'totp' });
  const backup = await clerk.users.verifyTOTP({ userId: user.id, code: 'recovery-one' });
  assert.deepEqual(backup, { verified: true, code_type: 'backup_code' });
  // That was the last backup code: what remains is TOTP, whose codes are six digits.
  await rejectsWith(clerk.users.verifyTOTP({ userId: user.id, code: 'recovery-one' }), 422, 'totp_invalid_length');
  await rejectsWith(clerk.users.verifyTOTP({ userId: user.id, code: '000000' }), 422, 'totp_incorrect_code');
});

test('the removal endpoints answer with the user id and turn the factors off', async () => {
  const user = await clerk.users.createUser({
    emailAddress: [`mfa.${marker()}@example.com`],
    totpSecret: SECRET,
    backupCodes: ['a-1', 'b-2'],
  });
  assert.deepEqual(await clerk.users.deleteUserBackupCodes(user.id), { user_id: user.id });
  assert.deepEqual(await clerk.users.deleteUserTOTP(user.id), { user_id: user.id });
  const after = await clerk.users.getUser(user.id);
  assert.equal(after.twoFactorEnabled, false);
  await rejectsWith(clerk.users.verifyTOTP({ userId: user.id, code: '123456' }), 400, 'totp_disabled');

  const other = await clerk.users.createUser({ emailAddress: [`mfa.${marker()}@example.com`], totpSecret: SECRET });
  assert.deepEqual(await clerk.users.disableUserMFA(other.id), { user_id: other.id });
  assert.equal((await clerk.users.getUser(other.id)).totpEnabled, false);
});
