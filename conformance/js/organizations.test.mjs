// Organizations and their memberships through @clerk/backend: create, get (by id and by slug),
// list, update, updateOrganizationMetadata, delete, and the membership calls, with the
// refusals Clerk's SDK surfaces as ClerkAPIResponseError.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clerk, marker, rejectsWith } from './helpers.mjs';

async function newUser(name) {
  return clerk.users.createUser({ emailAddress: [`org.${marker()}@example.com`], firstName: name });
}

test('an organization is created, read, listed, updated and deleted', async () => {
  const creator = await newUser('Ada');
  const tag = marker();
  const org = await clerk.organizations.createOrganization({
    name: `Acme ${tag}`,
    createdBy: creator.id,
    publicMetadata: { plan: 'pro' },
    privateMetadata: { seats: 5 },
    maxAllowedMemberships: 10,
  });
  assert.match(org.id, /^org_/);
  assert.equal(org.name, `Acme ${tag}`);
  assert.equal(org.slug, `acme-${tag}`);
  assert.equal(org.createdBy, creator.id);
  assert.equal(org.maxAllowedMemberships, 10);
  assert.equal(org.adminDeleteEnabled, true);
  assert.equal(org.hasImage, false);
  assert.deepEqual(org.publicMetadata, { plan: 'pro' });
  assert.deepEqual(org.privateMetadata, { seats: 5 });
  assert.ok(org.createdAt > 0 && org.updatedAt >= org.createdAt);

  const bySlug = await clerk.organizations.getOrganization({ slug: org.slug, includeMembersCount: true });
  assert.equal(bySlug.id, org.id);
  assert.equal(bySlug.membersCount, 1);
  const byId = await clerk.organizations.getOrganization({ organizationId: org.id });
  assert.equal(byId.slug, org.slug);

  const list = await clerk.organizations.getOrganizationList({ query: tag, includeMembersCount: true });
  assert.equal(list.totalCount, 1);
  assert.equal(list.data[0].id, org.id);
  assert.equal(list.data[0].membersCount, 1);

  const updated = await clerk.organizations.updateOrganization(org.id, { name: `Renamed ${tag}`, adminDeleteEnabled: false });
  assert.equal(updated.name, `Renamed ${tag}`);
  assert.equal(updated.adminDeleteEnabled, false);

  const merged = await clerk.organizations.updateOrganizationMetadata(org.id, {
    publicMetadata: { plan: null, tier: { a: 1 } },
    privateMetadata: { x: true },
  });
  assert.deepEqual(merged.publicMetadata, { tier: { a: 1 } });
  assert.deepEqual(merged.privateMetadata, { seats: 5, x: true });

  const deleted = await clerk.organizations.deleteOrganization(org.id);
  assert.equal(deleted.id, org.id);
  assert.equal(deleted.deleted, true);
  await rejectsWith(clerk.organizations.getOrganization({ organizationId: org.id }), 404, 'resource_not_found');
});

test('a taken slug is refused', async () => {
  const slug = `taken-${marker()}`;
  await clerk.organizations.createOrganization({ name: 'First', slug });
  await rejectsWith(clerk.organizations.createOrganization({ name: 'Second', slug }), 422, 'form_identifier_exists');
});

test('memberships are created, listed, updated and deleted', async () => {
  const ada = await newUser('Ada');
  const bob = await newUser('Bob');
  const org = await clerk.organizations.createOrganization({ name: `Team ${marker()}`, createdBy: ada.id, maxAllowedMemberships: 2 });

  const membership = await clerk.organizations.createOrganizationMembership({
    organizationId: org.id,
    userId: bob.id,
    role: 'org:member',
  });
  assert.match(membership.id, /^orgmem_/);
  assert.equal(membership.role, 'org:member');
  assert.deepEqual(membership.permissions, ['org:sys_memberships:read']);
  assert.equal(membership.organization.id, org.id);
  assert.equal(membership.publicUserData.userId, bob.id);
  assert.equal(membership.publicUserData.firstName, 'Bob');
  assert.equal(membership.publicUserData.identifier, bob.emailAddresses[0].emailAddress);

  const list = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id, limit: 10 });
  assert.equal(list.totalCount, 2);
  assert.deepEqual(new Set(list.data.map((m) => m.publicUserData.userId)), new Set([ada.id, bob.id]));
  const admin = list.data.find((m) => m.publicUserData.userId === ada.id);
  assert.equal(admin.role, 'org:admin');
  assert.ok(admin.permissions.includes('org:sys_memberships:manage'));

  const carol = await newUser('Carol');
  await rejectsWith(
    clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: carol.id, role: 'org:member' }),
    403,
    'organization_membership_quota_exceeded',
  );
  await rejectsWith(
    clerk.organizations.createOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:member' }),
    400,
    'already_a_member_in_organization',
  );
  await rejectsWith(
    clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: ada.id }),
    422,
    'organization_minimum_permissions_needed',
  );

  const promoted = await clerk.organizations.updateOrganizationMembership({ organizationId: org.id, userId: bob.id, role: 'org:admin' });
  assert.equal(promoted.role, 'org:admin');
  const withMetadata = await clerk.organizations.updateOrganizationMembershipMetadata({
    organizationId: org.id,
    userId: bob.id,
    publicMetadata: { desk: 4 },
  });
  assert.deepEqual(withMetadata.publicMetadata, { desk: 4 });

  const mine = await clerk.users.getOrganizationMembershipList({ userId: bob.id });
  assert.equal(mine.totalCount, 1);
  assert.equal(mine.data[0].organization.id, org.id);
  assert.equal(mine.data[0].role, 'org:admin');

  const removed = await clerk.organizations.deleteOrganizationMembership({ organizationId: org.id, userId: ada.id });
  assert.equal(removed.publicUserData.userId, ada.id);
  const after = await clerk.organizations.getOrganizationMembershipList({ organizationId: org.id });
  assert.equal(after.totalCount, 1);
  const adaMemberships = await clerk.users.getOrganizationMembershipList({ userId: ada.id });
  assert.equal(adaMemberships.totalCount, 0);
});
