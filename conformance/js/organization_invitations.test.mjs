// Organization invitations through @clerk/backend: createOrganizationInvitation, the bulk
// form, getOrganizationInvitationList (with status), getOrganizationInvitation,
// revokeOrganizationInvitation and users.getOrganizationInvitationList; a user created with
// an invited address joins; and session tokens of an active organization read by the SDK's
// verifyToken and authenticateRequest as orgId, orgRole, orgSlug and orgPermissions.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { verifyToken } from '@clerk/backend';

import { ROSTER_URL, SECRET_KEY, clerk, marker, rejectsWith } from './helpers.mjs';

async function api(method, path, body) {
  const response = await fetch(`${ROSTER_URL}/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${SECRET_KEY}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${method} ${path}`);
  return response.json();
}

test('invitations are created, listed, read, revoked and accepted by a new user', async () => {
  const tag = marker();
  const admin = await clerk.users.createUser({ emailAddress: [`admin.${tag}@example.com`] });
  const org = await clerk.organizations.createOrganization({ name: `Invites ${tag}`, createdBy: admin.id });
  const invited = await clerk.organizations.createOrganizationInvitation({
    organizationId: org.id,
    emailAddress: `bob.${tag}@example.com`,
    role: 'org:member',
    inviterUserId: admin.id,
    publicMetadata: { team: 'red' },
  });
  assert.match(invited.id, /^orginv_/);
  assert.equal(invited.emailAddress, `bob.${tag}@example.com`);
  assert.equal(invited.role, 'org:member');
  assert.equal(invited.roleName, 'Member');
  assert.equal(invited.organizationId, org.id);
  assert.equal(invited.status, 'pending');
  assert.deepEqual(invited.publicMetadata, { team: 'red' });
  assert.ok(invited.expiresAt > invited.createdAt);

  const bulk = await clerk.organizations.createOrganizationInvitationBulk(org.id, [
    { emailAddress: `cy.${tag}@example.com`, role: 'org:admin' },
    { emailAddress: `dee.${tag}@example.com`, role: 'org:member' },
  ]);
  assert.equal(bulk.totalCount, 2);
  assert.deepEqual(
    bulk.data.map((i) => i.emailAddress),
    [`cy.${tag}@example.com`, `dee.${tag}@example.com`],
  );

  const read = await clerk.organizations.getOrganizationInvitation({ organizationId: org.id, invitationId: invited.id });
  assert.equal(read.id, invited.id);
  const list = await clerk.organizations.getOrganizationInvitationList({ organizationId: org.id });
  assert.equal(list.totalCount, 3);

  const revoked = await clerk.organizations.revokeOrganizationInvitation({
    organizationId: org.id,
    invitationId: invited.id,
    requestingUserId: admin.id,
  });
  assert.equal(revoked.status, 'revoked');
  const pending = await clerk.organizations.getOrganizationInvitationList({ organizationId: org.id, status: ['pending'] });
  assert.equal(pending.totalCount, 2);
  await rejectsWith(
    clerk.organizations.revokeOrganizationInvitation({ organizationId: org.id, invitationId: invited.id }),
    400,
    'organization_invitation_not_pending',
  );
  await rejectsWith(
    clerk.organizations.createOrganizationInvitation({
      organizationId: org.id,
      emailAddress: `cy.${tag}@example.com`,
      role: 'org:member',
    }),
    400,
    'duplicate_record',
  );

  // Cy signs up with the invited address: a member with the invited role.
  const cy = await clerk.users.createUser({ emailAddress: [`cy.${tag}@example.com`] });
  const memberships = await clerk.users.getOrganizationMembershipList({ userId: cy.id });
  assert.equal(memberships.totalCount, 1);
  assert.equal(memberships.data[0].role, 'org:admin');
  assert.equal(memberships.data[0].organization.id, org.id);
  const mine = await clerk.users.getOrganizationInvitationList({ userId: cy.id });
  assert.equal(mine.totalCount, 1);
  assert.equal(mine.data[0].status, 'accepted');
});

test('a session token of an active organization reads as orgId, orgRole and orgPermissions', async () => {
  const tag = marker();
  const user = await clerk.users.createUser({ emailAddress: [`token.${tag}@example.com`] });
  const ids = [];
  for (const key of [`org:f${tag}:manage`, `org:f${tag}:read`, `org:g${tag}:read`]) {
    ids.push((await api('POST', '/organization_permissions', { name: key, key })).id);
  }
  const roleKey = `org:r${tag}`;
  await api('POST', '/organization_roles', { name: 'Custom', key: roleKey, permissions: ids });
  const org = await clerk.organizations.createOrganization({ name: `Tokens ${tag}` });
  await clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: user.id, role: roleKey });
  const session = await clerk.sessions.createSession({ userId: user.id, activeOrganizationId: org.id });
  assert.equal(session.lastActiveOrganizationId, org.id);
  const { jwt } = await clerk.sessions.getToken(session.id, '', 120);

  const expected = [`org:f${tag}:manage`, `org:f${tag}:read`, `org:g${tag}:read`];
  const claims = await verifyToken(jwt, { secretKey: SECRET_KEY, apiUrl: ROSTER_URL, apiVersion: 'v1' });
  assert.equal(claims.o.id, org.id);
  assert.equal(claims.o.slg, org.slug);
  assert.equal(claims.o.rol, `r${tag}`);

  const publishableKey = `pk_test_${Buffer.from(`${new URL(ROSTER_URL).host}$`).toString('base64')}`;
  const state = await clerk.authenticateRequest(
    new Request(`${ROSTER_URL}/protected`, { headers: { Authorization: `Bearer ${jwt}` } }),
    { secretKey: SECRET_KEY, publishableKey, apiUrl: ROSTER_URL, apiVersion: 'v1' },
  );
  assert.equal(state.isSignedIn, true, state.message ?? state.reason);
  const auth = state.toAuth();
  assert.equal(auth.userId, user.id);
  assert.equal(auth.orgId, org.id);
  assert.equal(auth.orgSlug, org.slug);
  assert.equal(auth.orgRole, roleKey);
  assert.deepEqual([...auth.orgPermissions].sort(), expected);
  assert.equal(auth.has({ permission: `org:f${tag}:manage` }), true);
  assert.equal(auth.has({ permission: `org:g${tag}:manage` }), false);
  assert.equal(auth.has({ role: roleKey }), true);

  await rejectsWith(
    clerk.sessions.createSession({ userId: user.id, activeOrganizationId: 'org_missing' }),
    422,
  );
});
