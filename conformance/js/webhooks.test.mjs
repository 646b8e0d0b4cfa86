// Roster's webhook deliveries verified by @clerk/backend's own verifyWebhook (the
// `standardwebhooks` library behind Clerk's `svix-*` headers), as an application would.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';

import { verifyWebhook } from '@clerk/backend/webhooks';

import { ROSTER_URL, SECRET_KEY, clerk, marker, sleep } from './helpers.mjs';

async function api(method, path, body) {
  const response = await fetch(`${ROSTER_URL}/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return response.json();
}

test('every delivery verifies with verifyWebhook and carries Clerk’s envelope', async () => {
  const received = [];
  const rejected = [];
  let secret;
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const request = new Request('http://receiver/hook', {
      method: 'POST',
      headers: req.headers,
      body: Buffer.concat(chunks),
    });
    try {
      received.push(await verifyWebhook(request, { signingSecret: secret }));
      res.writeHead(204).end();
    } catch (error) {
      rejected.push(String(error));
      res.writeHead(400).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  const endpoint = await api('POST', '/webhook_endpoints', {
    url,
    events: ['user.created', 'user.updated', 'session.created', 'session.revoked'],
  });
  secret = endpoint.secret;
  try {
    const user = await clerk.users.createUser({ firstName: marker() });
    await clerk.users.updateUser(user.id, { lastName: 'Verified' });
    const session = await clerk.sessions.createSession({ userId: user.id });
    await clerk.sessions.revokeSession(session.id);

    const mine = () =>
      received.filter((e) => e.data.id === user.id || e.data.user_id === user.id).map((e) => e.type);
    const deadline = Date.now() + 30_000;
    while (mine().length < 4 && Date.now() < deadline) await sleep(100);
    assert.deepEqual(rejected, []);
    assert.deepEqual(mine(), ['user.created', 'user.updated', 'session.created', 'session.revoked']);
    const created = received.find((e) => e.type === 'user.created' && e.data.id === user.id);
    assert.equal(created.object, 'event');
    assert.match(created.instance_id, /^ins_/);
    assert.equal(created.data.object, 'user');
    const revoked = received.find((e) => e.type === 'session.revoked' && e.data.id === session.id);
    assert.equal(revoked.data.user.id, user.id);
  } finally {
    await api('DELETE', `/webhook_endpoints/${endpoint.id}`);
    server.close();
  }
});
