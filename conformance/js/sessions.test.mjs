// Sessions through @clerk/backend: createSession (testing), getSession, getSessionList,
// revokeSession, getToken; and session tokens accepted by the SDK's own verifyToken, both with
// the JWKS it fetches from Roster (secretKey + apiUrl) and with a PEM public key (jwtKey).
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { test } from 'node:test';

import { verifyToken } from '@clerk/backend';

import { ROSTER_URL, SECRET_KEY, clerk, ids, marker, rejectsWith } from './helpers.mjs';

const newUser = () => clerk.users.createUser({ firstName: marker() });

test('createSession, getSession, getSessionList and revokeSession', async () => {
  const user = await newUser();
  const first = await clerk.sessions.createSession({ userId: user.id });
  const second = await clerk.sessions.createSession({ userId: user.id });
  assert.equal(first.userId, user.id);
  assert.equal(first.status, 'active');
  assert.match(first.clientId, /^client_/);
  assert.deepEqual(await clerk.sessions.getSession(first.id), first);

  const { data, totalCount } = await clerk.sessions.getSessionList({ userId: user.id });
  assert.deepEqual(ids(data), [second.id, first.id]);
  assert.equal(totalCount, 2);
  const page = await clerk.sessions.getSessionList({ userId: user.id, limit: 1, offset: 1 });
  assert.deepEqual(ids(page.data), [first.id]);
  assert.equal(page.totalCount, 2);

  const revoked = await clerk.sessions.revokeSession(first.id);
  assert.equal(revoked.status, 'revoked');
  const active = await clerk.sessions.getSessionList({ userId: user.id, status: 'active' });
  assert.deepEqual(ids(active.data), [second.id]);
  await rejectsWith(clerk.sessions.getSession('sess_missing'), 404, 'resource_not_found');
});

test('verifyToken accepts Roster session tokens and a revoked session gets none', async () => {
  const user = await newUser();
  const session = await clerk.sessions.createSession({ userId: user.id });
  const { jwt } = await clerk.sessions.getToken(session.id, '', 120);

  // The JWKS fetched from Roster's /v1/jwks with the secret key, as in production.
  const claims = await verifyToken(jwt, { secretKey: SECRET_KEY, apiUrl: ROSTER_URL, apiVersion: 'v1' });
  assert.equal(claims.sub, user.id);
  assert.equal(claims.sid, session.id);
  assert.equal(claims.exp - claims.iat, 120);

  // The networkless form: the public key as PEM.
  const jwks = await (
    await fetch(`${ROSTER_URL}/v1/jwks`, { headers: { Authorization: `Bearer ${SECRET_KEY}` } })
  ).json();
  const jwtKey = createPublicKey({ key: jwks.keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const viaPem = await verifyToken(jwt, { jwtKey });
  assert.equal(viaPem.sid, session.id);

  // A token whose signature does not match is refused.
  const [head, body] = jwt.split('.');
  await assert.rejects(verifyToken(`${head}.${body}.AAAA`, { jwtKey }));

  await clerk.sessions.revokeSession(session.id);
  await rejectsWith(clerk.sessions.getToken(session.id, ''), 404);
});
