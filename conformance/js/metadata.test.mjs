// Metadata through @clerk/backend: updateUserMetadata (PATCH, deep merge), replaceUserMetadata
// (PUT, replace) and updateUser with metadata, which the SDK turns into a PUT as well.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, marker, sleep } from './helpers.mjs';

function newUser() {
  return clerk.users.createUser({
    emailAddress: [`meta.${marker()}@example.com`],
    firstName: 'Meta',
    publicMetadata: { a: 1, b: { c: 2, d: 3 }, e: [1, 2] },
    privateMetadata: { p: { q: { r: 1, s: 2 } }, t: 'keep' },
    unsafeMetadata: { u: 1 },
  });
}

async function storedMetadata(id) {
  const user = await clerk.users.getUser(id);
  return [user.publicMetadata, user.privateMetadata, user.unsafeMetadata];
}

test('updateUserMetadata merges deeply and null deletes', async () => {
  const user = await newUser();
  await sleep(2);
  let merged = await clerk.users.updateUserMetadata(user.id, {
    publicMetadata: { b: { c: null, x: 9 }, e: [3], f: 'new' },
  });
  assert.deepEqual(merged.publicMetadata, { a: 1, b: { d: 3, x: 9 }, e: [3], f: 'new' });
  assert.ok(merged.updatedAt > user.updatedAt, 'updatedAt moves forward');
  // Tiers not named in the request are untouched.
  assert.deepEqual(merged.privateMetadata, { p: { q: { r: 1, s: 2 } }, t: 'keep' });
  assert.deepEqual(merged.unsafeMetadata, { u: 1 });

  merged = await clerk.users.updateUserMetadata(user.id, {
    privateMetadata: { p: { q: { r: null, z: 26 } }, t: null },
    unsafeMetadata: { v: { w: true } },
  });
  assert.deepEqual(merged.privateMetadata, { p: { q: { s: 2, z: 26 } } });
  assert.deepEqual(merged.unsafeMetadata, { u: 1, v: { w: true } });
  assert.deepEqual(merged.publicMetadata, { a: 1, b: { d: 3, x: 9 }, e: [3], f: 'new' });

  assert.deepEqual(await storedMetadata(user.id), [merged.publicMetadata, merged.privateMetadata, merged.unsafeMetadata]);
});

test('nested keys keep their camelCase spelling', async () => {
  const user = await newUser();
  const merged = await clerk.users.updateUserMetadata(user.id, { publicMetadata: { someKey: { innerKey: 1 } } });
  assert.deepEqual(merged.publicMetadata.someKey, { innerKey: 1 });
});

test('replaceUserMetadata overwrites the named tiers only', async () => {
  const user = await newUser();
  await sleep(2);
  const replaced = await clerk.users.replaceUserMetadata(user.id, { publicMetadata: { b: { only: true } } });
  assert.deepEqual(replaced.publicMetadata, { b: { only: true } });
  assert.ok(replaced.updatedAt > user.updatedAt, 'updatedAt moves forward');
  assert.deepEqual(replaced.privateMetadata, { p: { q: { r: 1, s: 2 } }, t: 'keep' });
  assert.deepEqual(replaced.unsafeMetadata, { u: 1 });

  const cleared = await clerk.users.replaceUserMetadata(user.id, { privateMetadata: {}, unsafeMetadata: { n: [1] } });
  assert.deepEqual(cleared.publicMetadata, { b: { only: true } });
  assert.deepEqual(cleared.privateMetadata, {});
  assert.deepEqual(cleared.unsafeMetadata, { n: [1] });
  assert.deepEqual(await storedMetadata(user.id), [{ b: { only: true } }, {}, { n: [1] }]);
});

test('updateUser with publicMetadata replaces it', async () => {
  const user = await newUser();
  const updated = await clerk.users.updateUser(user.id, { publicMetadata: { b: { x: 1 } } });
  // Replace, not merge: "a", "e" and b.c/b.d are gone; the other tiers are untouched.
  assert.deepEqual(updated.publicMetadata, { b: { x: 1 } });
  assert.deepEqual(updated.privateMetadata, { p: { q: { r: 1, s: 2 } }, t: 'keep' });
  assert.deepEqual(updated.unsafeMetadata, { u: 1 });
  assert.equal(updated.firstName, 'Meta');
});

test('updateUser with fields and metadata applies both', async () => {
  const user = await newUser();
  const updated = await clerk.users.updateUser(user.id, {
    firstName: 'Changed',
    privateMetadata: { only: 'this' },
    unsafeMetadata: {},
  });
  assert.equal(updated.firstName, 'Changed');
  assert.deepEqual(updated.publicMetadata, { a: 1, b: { c: 2, d: 3 }, e: [1, 2] });
  assert.deepEqual(updated.privateMetadata, { only: 'this' });
  assert.deepEqual(updated.unsafeMetadata, {});
  const stored = await clerk.users.getUser(user.id);
  assert.equal(stored.firstName, 'Changed');
  assert.deepEqual(stored.privateMetadata, { only: 'this' });
});
