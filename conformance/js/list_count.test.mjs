// getUserList (GET /users plus GET /users/count) and getCount: every filter, every ordering,
// paging. Each case is narrowed to users made in this file (a `query` on its marker, or their
// ids), so users from other tests on the same server never show up.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { clerk, date, digits, ids, marker, ms, phone, sleep, wallet } from './helpers.mjs';

describe('filters', () => {
  const k = {};
  before(async () => {
    k.m = marker();
    k.p = digits(7); // every phone number here starts with +1 and this
    k.w = wallet();
    const { m, p } = k;
    k.a = await clerk.users.createUser({
      emailAddress: [`a.${m}@example.com`, `a2.${m}@example.org`],
      phoneNumber: [phone(p, '001')],
      username: `alpha_${m}`,
      externalId: `ext-a-${m}`,
      firstName: `Ann-Marie${m}`,
      lastName: 'Lee',
      createdAt: date(2001),
    });
    k.b = await clerk.users.createUser({
      emailAddress: [`b.${m}@example.com`],
      phoneNumber: [phone(p, '002')],
      externalId: `ext-b-${m}`,
      firstName: 'Bob',
      lastName: `Lee${m}`,
      createdAt: date(2002),
    });
    k.c = await clerk.users.createUser({
      emailAddress: [`c.${m}@example.com`],
      web3Wallet: [k.w],
      username: `gamma_${m}`,
      externalId: `ext-c-${m}`,
      firstName: 'Cid',
      lastName: 'Roe',
      createdAt: date(2003),
    });
    k.d = await clerk.users.createUser({
      emailAddress: [`d.${m}@example.com`],
      externalId: `ext-d-${m}`,
      firstName: 'Dee',
      lastName: 'Poe',
      createdAt: date(2004),
    });
    await clerk.users.banUser(k.d.id);
  });

  // Each case: filters, and the names of the expected users newest first. `banned: false` is
  // absent because the SDK drops falsy query values.
  const cases = {
    everyone: () => [{ query: k.m }, 'dcba'],
    emailAddress: () => [{ emailAddress: [`a2.${k.m}@example.org`, `b.${k.m}@example.com`, 'nobody@example.com'] }, 'ba'],
    phoneNumber: () => [{ phoneNumber: [k.b.phoneNumbers[0].phoneNumber] }, 'b'],
    externalId: () => [{ externalId: [`ext-a-${k.m}`, `ext-c-${k.m}`] }, 'ca'],
    externalIdPlus: () => [{ externalId: [`+ext-b-${k.m}`] }, 'b'],
    externalIdExclude: () => [{ query: k.m, externalId: [`-ext-a-${k.m}`] }, 'dcb'],
    username: () => [{ username: [`alpha_${k.m}`, `gamma_${k.m}`] }, 'ca'],
    web3Wallet: () => [{ web3Wallet: [k.w] }, 'c'],
    userId: () => [{ userId: [k.a.id, k.b.id] }, 'ba'],
    userIdPlus: () => [{ userId: [`+${k.c.id}`] }, 'c'],
    userIdExclude: () => [{ query: k.m, userId: [`-${k.a.id}`, `-${k.d.id}`] }, 'cb'],
    queryEmail: () => [{ query: `a2.${k.m}` }, 'a'],
    queryPhone: () => [{ query: `${k.p}002` }, 'b'],
    queryUsername: () => [{ query: `gamma_${k.m}` }, 'c'],
    queryFirstName: () => [{ query: `Marie${k.m}` }, 'a'],
    queryFullPhone: () => [{ query: `+1${k.p}002` }, 'b'],
    queryLastName: () => [{ query: `Lee${k.m}` }, 'b'],
    queryUserId: () => [{ query: k.c.id }, 'c'],
    queryWeb3Wallet: () => [{ query: k.w.slice(2, 30) }, 'c'],
    emailAddressQuery: () => [{ emailAddressQuery: `A2.${k.m.toUpperCase()}` }, 'a'],
    emailAddressQueryAll: () => [{ emailAddressQuery: k.m.toUpperCase() }, 'dcba'],
    phoneNumberQuery: () => [{ phoneNumberQuery: k.p }, 'ba'],
    phoneNumberQueryPlus: () => [{ phoneNumberQuery: `+1${k.p}` }, 'ba'],
    usernameQuery: () => [{ usernameQuery: k.m.toUpperCase() }, 'ca'],
    nameQuery: () => [{ nameQuery: k.m.toUpperCase() }, 'ba'],
    nameQueryFirst: () => [{ nameQuery: `marie${k.m}` }, 'a'],
    nameQueryFull: () => [{ nameQuery: `Ann-Marie${k.m} Lee` }, 'a'],
    nameQueryShort: () => [{ query: k.m, nameQuery: '-M' }, 'a'],
    // Characters that are wildcards in SQL LIKE must match literally.
    nameQueryUnderscore: () => [{ query: k.m, nameQuery: '_' }, ''],
    emailAddressQueryPercent: () => [{ query: k.m, emailAddressQuery: '%' }, ''],
    usernameQueryUnderscore: () => [{ query: k.m, usernameQuery: '_' }, 'ca'],
    bannedTrue: () => [{ query: k.m, banned: true }, 'd'],
    createdAtAfter: () => [{ query: k.m, createdAtAfter: ms(2002, 6) }, 'dc'],
    createdAtBefore: () => [{ query: k.m, createdAtBefore: ms(2002, 6) }, 'ba'],
    createdAtBetween: () => [{ query: k.m, createdAtAfter: ms(2001, 6), createdAtBefore: ms(2003, 6) }, 'cb'],
  };

  for (const [name, build] of Object.entries(cases)) {
    test(`getUserList ${name}`, async () => {
      const [filters, expected] = build();
      const { data, totalCount } = await clerk.users.getUserList(filters);
      assert.deepEqual(ids(data), [...expected].map((n) => k[n].id));
      assert.equal(totalCount, expected.length);
    });

    test(`getCount ${name}`, async () => {
      const [filters, expected] = build();
      assert.equal(await clerk.users.getCount(filters), expected.length);
    });
  }
});

describe('orderBy', () => {
  // Three users whose sortable fields each rank them differently from their creation order:
  // created (back-dated) u0 < u2 < u1, so a server that ignores orderBy and sorts by creation
  // time gives neither the ascending nor the descending order expected below.
  const ranks = {
    email_address: [0, 1, 2],
    phone_number: [2, 1, 0],
    username: [1, 0, 2],
    first_name: [1, 2, 0],
    last_name: [0, 1, 2],
    web3wallet: [2, 1, 0],
    created_at: [0, 2, 1],
    updated_at: [1, 2, 0],
  };
  const users = [];
  before(async () => {
    const m = marker();
    const p = digits(7);
    const hexbase = wallet().slice(2, 34);
    const years = [2010, 2012, 2011];
    for (let i = 0; i < 3; i++) {
      const r = (field) => ranks[field][i];
      users.push(
        await clerk.users.createUser({
          emailAddress: [`${'abc'[r('email_address')]}.${m}@example.com`],
          phoneNumber: [phone(p, `00${r('phone_number')}`)],
          username: `${'abc'[r('username')]}_${m}`,
          firstName: `${'ABC'[r('first_name')]}first${m}`,
          lastName: `${'ABC'[r('last_name')]}last${m}`,
          web3Wallet: [`0x${hexbase}0000000${r('web3wallet')}`],
          createdAt: date(years[i]),
        }),
      );
    }
    // updated_at order u2 < u0 < u1, with gaps wider than the millisecond clock.
    for (const i of [2, 0, 1]) {
      await sleep(10);
      users[i] = await clerk.users.updateUser(users[i].id, { firstName: users[i].firstName });
    }
  });

  for (const field of Object.keys(ranks)) {
    for (const sign of ['+', '-', '']) {
      test(`orderBy ${sign}${field}`, async () => {
        const ascending = [0, 1, 2].sort((x, y) => ranks[field][x] - ranks[field][y]);
        const order = sign === '-' ? ascending.reverse() : ascending;
        const { data, totalCount } = await clerk.users.getUserList({ userId: ids(users), orderBy: `${sign}${field}` });
        assert.deepEqual(ids(data), order.map((i) => users[i].id));
        assert.equal(totalCount, 3);
      });
    }
  }

  for (const field of ['last_active_at', 'last_sign_in_at']) {
    for (const sign of ['+', '-']) {
      // No user here has signed in, so only acceptance and completeness can be checked.
      test(`orderBy ${sign}${field}`, async () => {
        const { data } = await clerk.users.getUserList({ userId: ids(users), orderBy: `${sign}${field}` });
        assert.deepEqual(ids(data).sort(), ids(users).sort());
      });
    }
  }
});

test('limit and offset page through the results', async () => {
  const m = marker();
  const oldestFirst = [];
  for (let i = 0; i < 5; i++) {
    const u = await clerk.users.createUser({ emailAddress: [`page${i}.${m}@example.com`], createdAt: date(2000 + i) });
    oldestFirst.push(u.id);
  }
  const page = async (limit, offset) => {
    const { data, totalCount } = await clerk.users.getUserList({ query: m, orderBy: '+created_at', limit, offset });
    assert.equal(totalCount, 5);
    return ids(data);
  };
  // offset 0 is never sent by the SDK, so the first page relies on the server's default.
  assert.deepEqual(await page(2, 0), oldestFirst.slice(0, 2));
  assert.deepEqual(await page(2, 2), oldestFirst.slice(2, 4));
  assert.deepEqual(await page(2, 4), oldestFirst.slice(4));
  assert.deepEqual(await page(2, 5), []);
  assert.deepEqual(await page(500, 0), oldestFirst);
  assert.deepEqual(await page(1, 3), oldestFirst.slice(3, 4));
});

test('the default page is ten users, newest first', async () => {
  const m = marker();
  const made = [];
  for (let i = 0; i < 11; i++) {
    made.push(await clerk.users.createUser({ emailAddress: [`lim${i}.${m}@example.com`], createdAt: date(2000 + i) }));
  }
  // No limit, offset or orderBy is sent, so all three come from the server's defaults.
  const { data, totalCount } = await clerk.users.getUserList({ query: m });
  assert.deepEqual(ids(data), ids(made).reverse().slice(0, 10));
  assert.equal(totalCount, 11);
});
