// verifyPassword, setPasswordCompromised, unsetPasswordCompromised and removePassword, with
// passwords set in plain and imported as digests.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, marker, rejectsWith } from './helpers.mjs';

// A bcrypt digest (cost 4) of "  spaces at both ends  ", from the shared hasher vectors.
const BCRYPT_DIGEST = '$2b$04$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O';
const PASSWORD = '  spaces at both ends  ';

test('a password is set, verified, marked compromised and removed', async () => {
  const user = await clerk.users.createUser({
    emailAddress: [`pw.${marker()}@example.com`],
    password: 'a sturdy passphrase',
  });
  assert.equal(user.passwordEnabled, true);
  assert.deepEqual(await clerk.users.verifyPassword({ userId: user.id, password: 'a sturdy passphrase' }), {
    verified: true,
  });
  await rejectsWith(clerk.users.verifyPassword({ userId: user.id, password: 'nope nope' }), 422, 'incorrect_password');
  const marked = await clerk.users.setPasswordCompromised(user.id);
  assert.equal(marked.raw.requires_password_reset, true);
  const cleared = await clerk.users.unsetPasswordCompromised(user.id);
  assert.equal(cleared.raw.requires_password_reset, false);
  const removed = await clerk.users.removePassword(user.id);
  assert.equal(removed.passwordEnabled, false);
  await rejectsWith(clerk.users.verifyPassword({ userId: user.id, password: 'a sturdy passphrase' }), 400, 'no_password_set');
});

test('an imported digest verifies; leaked passwords and bad digests are refused', async () => {
  const user = await clerk.users.createUser({ passwordDigest: BCRYPT_DIGEST, passwordHasher: 'bcrypt' });
  assert.equal(user.passwordEnabled, true);
  assert.deepEqual(await clerk.users.verifyPassword({ userId: user.id, password: PASSWORD }), { verified: true });
  await rejectsWith(clerk.users.createUser({ password: 'password1' }), 422, 'form_password_pwned');
  await rejectsWith(
    clerk.users.createUser({ passwordDigest: '$2b$04$short', passwordHasher: 'bcrypt' }),
    422,
    'form_password_digest_invalid_code',
  );
});
