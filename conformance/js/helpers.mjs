// Helpers shared by the tests: an SDK client aimed at the server run.sh started, unique
// identifiers, timestamps and error checks.
//
// One server serves the whole suite, so every test builds its identifiers from a fresh random
// marker and narrows each listing to its own users.
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';

import { createClerkClient } from '@clerk/backend';
import { isClerkAPIResponseError } from '@clerk/backend/errors';

export const ROSTER_URL = (process.env.ROSTER_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const SECRET_KEY = process.env.ROSTER_SECRET_KEY ?? '';
assert.ok(SECRET_KEY, 'ROSTER_SECRET_KEY must be set (run through conformance/run.sh)');

export function makeClient(secretKey) {
  return createClerkClient({ secretKey, apiUrl: ROSTER_URL, apiVersion: 'v1', telemetry: { disabled: true } });
}

export const clerk = makeClient(SECRET_KEY);

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = LOWER + '0123456789';

/** Lower-case letters and digits, starting with a letter, unique per call. */
export function marker(length = 10) {
  let out = LOWER[randomInt(LOWER.length)];
  while (out.length < length) out += ALNUM[randomInt(ALNUM.length)];
  return out;
}

export function digits(n) {
  let out = '';
  while (out.length < n) out += String(randomInt(10));
  return out;
}

/** A fresh E.164 number: +1 and ten digits. */
export function phone(prefix = digits(7), suffix = digits(10 - prefix.length)) {
  return `+1${prefix}${suffix}`;
}

export function wallet() {
  return `0x${randomBytes(20).toString('hex')}`;
}

export function date(year, month = 1, day = 1, hour = 0) {
  return new Date(Date.UTC(year, month - 1, day, hour));
}

export function ms(year, month = 1, day = 1, hour = 0) {
  return date(year, month, day, hour).getTime();
}

export const ids = (users) => users.map((u) => u.id);

export const sleep = (millis) => new Promise((resolve) => setTimeout(resolve, millis));

/** Awaits a call that must fail with this HTTP status and, when given, this first error code. */
export async function rejectsWith(promise, status, code) {
  await assert.rejects(promise, (err) => {
    assert.ok(isClerkAPIResponseError(err), `expected ClerkAPIResponseError, got ${err}`);
    assert.equal(err.status, status, `status (errors: ${JSON.stringify(err.errors)})`);
    if (code !== undefined) assert.equal(err.errors[0]?.code, code);
    return true;
  });
}

/** The first API error of a call that must fail. */
export async function firstError(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(isClerkAPIResponseError(err), `expected ClerkAPIResponseError, got ${err}`);
    return { status: err.status, error: err.errors[0] };
  }
  assert.fail('the call succeeded');
}
