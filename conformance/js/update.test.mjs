// updateUser (PATCH /users/{id}) through @clerk/backend, one field at a time. Every update also
// checks that the fields it did not name kept their values.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, date, firstError, ids, marker, ms, sleep } from './helpers.mjs';

async function newUser() {
  const m = marker();
  return clerk.users.createUser({
    emailAddress: [`one.${m}@example.com`, `two.${m}@example.com`],
    username: `upd_${m}`,
    externalId: `upd-${m}`,
    firstName: 'First',
    lastName: 'Last',
    locale: 'en-US',
    publicMetadata: { keep: true },
  });
}

// updated_at always moves; every other key of the raw user must stay as it was. The order of
// identifications is checked by create_get.test.mjs, so it is left out here.
function unchangedExcept(before, after, ...fields) {
  const skip = new Set([...fields, 'updated_at']);
  const comparable = (user) => {
    const out = {};
    for (const [key, value] of Object.entries(user.raw)) {
      if (skip.has(key)) continue;
      const isIdentifications = ['email_addresses', 'phone_numbers', 'web3_wallets'].includes(key);
      out[key] = isIdentifications ? [...value].sort((x, y) => x.id.localeCompare(y.id)) : value;
    }
    return out;
  };
  assert.deepEqual(comparable(after), comparable(before));
}

test('first and last name', async () => {
  const user = await newUser();
  await sleep(2);
  const updated = await clerk.users.updateUser(user.id, { firstName: 'Marie', lastName: 'Curie' });
  assert.equal(updated.firstName, 'Marie');
  assert.equal(updated.lastName, 'Curie');
  assert.ok(updated.updatedAt > user.updatedAt, 'updatedAt moves forward');
  unchangedExcept(user, updated, 'first_name', 'last_name');
  assert.deepEqual((await clerk.users.getUser(user.id)).raw, updated.raw);
});

test('username change and removal', async () => {
  const user = await newUser();
  const m = marker();
  const changed = await clerk.users.updateUser(user.id, { username: `new_${m}` });
  assert.equal(changed.username, `new_${m}`);
  unchangedExcept(user, changed, 'username');
  assert.deepEqual(ids((await clerk.users.getUserList({ username: [`new_${m}`] })).data), [user.id]);
  assert.equal(await clerk.users.getCount({ username: [user.username] }), 0);

  // The JS SDK removes a username by sending an empty string.
  const removed = await clerk.users.updateUser(user.id, { username: '' });
  assert.equal(removed.username, null);
  assert.equal((await clerk.users.getUser(user.id)).username, null);
  assert.equal(await clerk.users.getCount({ username: [`new_${m}`] }), 0);
});

test('externalId', async () => {
  const user = await newUser();
  const m = marker();
  const updated = await clerk.users.updateUser(user.id, { externalId: `moved-${m}` });
  assert.equal(updated.externalId, `moved-${m}`);
  unchangedExcept(user, updated, 'external_id');
  assert.deepEqual(ids((await clerk.users.getUserList({ externalId: [`moved-${m}`] })).data), [user.id]);
});

test('locale', async () => {
  const user = await newUser();
  const updated = await clerk.users.updateUser(user.id, { locale: 'de-DE' });
  assert.equal(updated.locale, 'de-DE');
  unchangedExcept(user, updated, 'locale');
});

test('primaryEmailAddressID to another verified address', async () => {
  const user = await newUser();
  const second = user.emailAddresses.find((e) => e.id !== user.primaryEmailAddressId);
  const updated = await clerk.users.updateUser(user.id, { primaryEmailAddressID: second.id });
  assert.equal(updated.primaryEmailAddressId, second.id);
  assert.equal(updated.primaryEmailAddress?.emailAddress, second.emailAddress);
  assert.deepEqual(
    updated.emailAddresses.map((e) => e.emailAddress).sort(),
    user.emailAddresses.map((e) => e.emailAddress).sort(),
  );
  assert.equal((await clerk.users.getUser(user.id)).primaryEmailAddressId, second.id);
});

test("primaryEmailAddressID of another user's address is refused", async () => {
  const user = await newUser();
  const other = await clerk.users.createUser({ emailAddress: [`other.${marker()}@example.com`] });
  const { status } = await firstError(clerk.users.updateUser(user.id, { primaryEmailAddressID: other.primaryEmailAddressId }));
  assert.ok([404, 422].includes(status), `status ${status}`);
  assert.equal((await clerk.users.getUser(user.id)).primaryEmailAddressId, user.primaryEmailAddressId);
});

test('flags and organization limit', async () => {
  const user = await newUser();
  const updated = await clerk.users.updateUser(user.id, {
    deleteSelfEnabled: false,
    createOrganizationEnabled: false,
    createOrganizationsLimit: 7,
    bypassClientTrust: true,
  });
  assert.equal(updated.deleteSelfEnabled, false);
  assert.equal(updated.createOrganizationEnabled, false);
  assert.equal(updated.createOrganizationsLimit, 7);
  assert.equal(updated.raw.bypass_client_trust, true);
  unchangedExcept(user, updated, 'delete_self_enabled', 'create_organization_enabled', 'create_organizations_limit', 'bypass_client_trust');

  // 0 and false go out as they are in bodies; only query values lose falsy entries.
  const back = await clerk.users.updateUser(user.id, {
    deleteSelfEnabled: true,
    createOrganizationEnabled: true,
    createOrganizationsLimit: 0,
    bypassClientTrust: false,
  });
  assert.equal(back.deleteSelfEnabled, true);
  assert.equal(back.createOrganizationEnabled, true);
  assert.equal(back.createOrganizationsLimit, 0);
  assert.equal(back.raw.bypass_client_trust, false);
});

test('createdAt and legalAcceptedAt', async () => {
  const user = await newUser();
  const updated = await clerk.users.updateUser(user.id, {
    createdAt: date(2011, 11, 11, 11),
    legalAcceptedAt: date(2012, 12, 12, 12),
  });
  assert.equal(updated.createdAt, ms(2011, 11, 11, 11));
  assert.equal(updated.legalAcceptedAt, ms(2012, 12, 12, 12));
  unchangedExcept(user, updated, 'created_at', 'legal_accepted_at');
  // A back-dated creation time is what the createdAt filters see.
  assert.equal(await clerk.users.getCount({ userId: [user.id], createdAtBefore: ms(2012) }), 1);
});

test('an update without parameters changes nothing', async () => {
  const user = await newUser();
  // Sent as a PATCH with Content-Type application/json and no body at all.
  const updated = await clerk.users.updateUser(user.id);
  unchangedExcept(user, updated);
});
