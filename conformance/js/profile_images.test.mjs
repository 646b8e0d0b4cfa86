// Profile images through @clerk/backend: updateUserProfileImage, profileImageID on updateUser,
// and deleteUserProfileImage; the imageUrl each answer carries is fetched without a key.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';

import { clerk, rejectsWith } from './helpers.mjs';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(kind, data) {
  const body = Buffer.concat([Buffer.from(kind, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A plain RGB PNG, written with zlib alone. */
function png(width, height) {
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x80)]);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array(height).fill(row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function servedSize(url) {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  const body = Buffer.from(await response.arrayBuffer());
  return [body.readUInt32BE(16), body.readUInt32BE(20)];
}

const upload = (userId, bytes) =>
  clerk.users.updateUserProfileImage(userId, { file: new Blob([bytes], { type: 'image/png' }) });

test('updateUserProfileImage, profileImageID and deleteUserProfileImage', async () => {
  const user = await clerk.users.createUser({ firstName: 'Pic' });
  assert.equal(user.hasImage, false);
  const first = await upload(user.id, png(40, 20));
  assert.equal(first.hasImage, true);
  assert.match(first.imageUrl, /\/images\/img_/);
  assert.deepEqual(await servedSize(first.imageUrl), [40, 20]);
  assert.deepEqual(await servedSize(`${first.imageUrl}?width=20`), [20, 10]);

  const second = await upload(user.id, png(30, 30));
  assert.notEqual(second.imageUrl, first.imageUrl);
  const firstId = first.imageUrl.split('/').pop();
  const switched = await clerk.users.updateUser(user.id, { profileImageID: firstId });
  assert.equal(switched.imageUrl, first.imageUrl);

  const deleted = await clerk.users.deleteUserProfileImage(user.id);
  assert.equal(deleted.hasImage, false);
  assert.equal(deleted.imageUrl, user.imageUrl);
});

test('a file that is not an image is refused and changes nothing', async () => {
  const user = await clerk.users.createUser({ firstName: 'Pic' });
  await rejectsWith(upload(user.id, Buffer.from('not an image')), 400, 'request_body_invalid');
  await rejectsWith(clerk.users.updateUser(user.id, { profileImageID: 'img_unknown' }), 422, 'form_resource_not_found');
  assert.equal((await clerk.users.getUser(user.id)).hasImage, false);
});
