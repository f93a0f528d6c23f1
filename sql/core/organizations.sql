/*
  core.organizations and core.organization_memberships (catalog §3.1, seed 001
  tenancy). Both are soft-deletable: normal reads add `deleted_at IS NULL`,
  and uniqueness holds among live rows only:
    uq_organizations__slug                (slug) WHERE deleted_at IS NULL
    uq_organization_memberships__org_user (organization_id, user_id) WHERE deleted_at IS NULL
  Upserts against them repeat the predicate in ON CONFLICT.

  Soft-deleting an organization leaves its memberships in place (reads filter
  on the organization), so restore_organization brings everything back.

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: create_organization(name, slug, description, settings, created_by)<!
-- record_class: OrganizationRow
-- Create an organization; a slug already used by a live organization raises a unique violation.
INSERT INTO core.organizations (name, slug, description, settings, created_by, updated_by)
VALUES (
    :name, :slug, :description,
    COALESCE(:settings::jsonb, '{}'::jsonb),
    :created_by, :created_by
)
RETURNING
    id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_organization_by_id(id)^
-- record_class: OrganizationRow
-- Get a live organization by id.
SELECT
    id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.organizations
WHERE id = :id
  AND deleted_at IS NULL;

-- name: get_organization_by_slug(slug)^
-- record_class: OrganizationRow
-- Get a live organization by slug.
-- plan: cost <= 20
SELECT
    id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.organizations
WHERE slug = :slug::text   /* uq_organizations__slug */
  AND deleted_at IS NULL;

-- name: list_organizations(after_created_at, after_id, limit)
-- record_class: OrganizationRow
-- List live organizations, newest first (keyset paginated).
SELECT
    id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.organizations
WHERE deleted_at IS NULL
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) < (:after_created_at, :after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: update_organization(id, name, slug, description, settings, updated_by)<!
-- record_class: OrganizationRow
-- Update a live organization; omitted (None) fields keep their current value, settings are replaced as a whole.
UPDATE core.organizations
SET name        = COALESCE(:name::text, name),
    slug        = COALESCE(:slug::text, slug),
    description = COALESCE(:description::text, description),
    settings    = COALESCE(:settings::jsonb, settings),
    updated_by  = :updated_by
WHERE id = :id
  AND deleted_at IS NULL
RETURNING
    id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: soft_delete_organization(id, deleted_by)!
-- Soft-delete a live organization (its memberships stay, hidden with it); returns 1, or 0 if no such live organization.
UPDATE core.organizations
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE id = :id
  AND deleted_at IS NULL;

-- name: restore_organization(id, restored_by)<!
-- record_class: OrganizationRow
-- Restore a soft-deleted organization; raises a unique violation if a live organization took its slug meanwhile.
UPDATE core.organizations
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE id = :id
  AND deleted_at IS NOT NULL
RETURNING
    id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: list_user_organizations(user_id)
-- record_class: ListUserOrganizationsRow
-- List the live organizations a user is a live member of, with the user's role in each, by name.
-- stream: yes
SELECT
    o.id, o.name, o.slug, o.description, o.settings,
    o.created_at, o.updated_at,
    m.role AS membership_role,
    m.created_at AS member_since
FROM core.organization_memberships AS m
JOIN core.organizations AS o ON o.id = m.organization_id
WHERE m.user_id = :user_id::uuid   /* ix_organization_memberships__user_id */
  AND m.deleted_at IS NULL
  AND o.deleted_at IS NULL
ORDER BY o.name, o.id;

/* ---------------------------------------------------------------- memberships */

-- name: add_organization_member(organization_id, user_id, role, invited_by)<!
-- record_class: MembershipRow
-- Add a user to an organization (idempotent); re-adding a live member changes its role only when a role is given.
-- NotFound (no row) unless the organization and the user are live, and the
-- inviter, when given, is a live user. invited_by is also recorded as the
-- membership's created_by/updated_by (the actor who added the member).
-- The upsert arbiter is the partial unique index
-- uq_organization_memberships__org_user, so ON CONFLICT repeats its predicate
-- (WHERE deleted_at IS NULL). A removed (soft-deleted) membership does not
-- conflict: re-adding creates a new membership row and keeps the old one as
-- history.
-- No parameter in DO UPDATE (Citus cannot bind one there, server-side binding):
-- the proposed row already carries the role to keep, the given one, else the
-- live membership's current one, else 'member'; DO UPDATE takes EXCLUDED.role.
INSERT INTO core.organization_memberships (
    organization_id, user_id, role, invited_by, created_by, updated_by
)
SELECT o.id, u.id,
       COALESCE(:role::core.org_role,
                (SELECT cur.role FROM core.organization_memberships AS cur
                  WHERE cur.organization_id = o.id AND cur.user_id = u.id
                    AND cur.deleted_at IS NULL),
                'member'),
       :invited_by::uuid, :invited_by::uuid, :invited_by::uuid
FROM core.organizations AS o
CROSS JOIN core.users AS u
WHERE o.id = :organization_id::uuid
  AND o.deleted_at IS NULL
  AND u.id = :user_id::uuid
  AND u.deleted_at IS NULL
  AND (:invited_by::uuid IS NULL
       OR EXISTS (SELECT 1 FROM core.users AS inviter
                  WHERE inviter.id = :invited_by AND inviter.deleted_at IS NULL))
ON CONFLICT (organization_id, user_id) WHERE deleted_at IS NULL DO UPDATE
SET role       = EXCLUDED.role,
    updated_by = EXCLUDED.updated_by
RETURNING
    id, organization_id, user_id, role, invited_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_membership(organization_id, user_id)^
-- record_class: MembershipRow
-- Get the live membership of a user in a live organization.
SELECT
    m.id, m.organization_id, m.user_id, m.role, m.invited_by,
    m.created_at, m.updated_at, m.created_by, m.updated_by, m.deleted_at, m.deleted_by
FROM core.organization_memberships AS m
JOIN core.organizations AS o ON o.id = m.organization_id
WHERE m.organization_id = :organization_id::uuid
  AND m.user_id = :user_id::uuid
  AND m.deleted_at IS NULL
  AND o.deleted_at IS NULL;

-- name: is_organization_member(organization_id, user_id)$
-- True if the user is a live member of the live organization (any role).
SELECT EXISTS (
    SELECT 1
    FROM core.organization_memberships AS m
    JOIN core.organizations AS o ON o.id = m.organization_id
    WHERE m.organization_id = :organization_id::uuid
      AND m.user_id = :user_id::uuid
      AND m.deleted_at IS NULL
      AND o.deleted_at IS NULL
) AS "is_member!";

-- name: list_organization_members(organization_id, role, after_created_at, after_id, limit)
-- record_class: ListOrganizationMembersRow
-- List the live members of an organization with their user names, by join date, newest first (keyset paginated on the membership).
-- Members whose user is soft-deleted are hidden.
SELECT
    m.id, m.organization_id, m.user_id, m.role, m.invited_by,
    m.created_at, m.updated_at,
    u.username, u.email, u.full_name, u.is_active
FROM core.organization_memberships AS m
JOIN core.users AS u ON u.id = m.user_id
WHERE m.organization_id = :organization_id::uuid
  AND m.deleted_at IS NULL
  AND u.deleted_at IS NULL
  AND (:role::core.org_role IS NULL OR m.role = :role)
  AND (:after_created_at::timestamptz IS NULL
       OR (m.created_at, m.id) < (:after_created_at, :after_id::uuid))
ORDER BY m.created_at DESC, m.id DESC
LIMIT :limit::int;

-- name: count_organization_members(organization_id, role)$
-- Count the live members of an organization, optionally of one role.
SELECT count(*) AS "total!"
FROM core.organization_memberships AS m
JOIN core.users AS u ON u.id = m.user_id
WHERE m.organization_id = :organization_id::uuid
  AND m.deleted_at IS NULL
  AND u.deleted_at IS NULL
  AND (:role::core.org_role IS NULL OR m.role = :role);

-- name: update_membership_role(organization_id, user_id, role, updated_by)<!
-- record_class: MembershipRow
-- Change the role of a live member.
-- Keeping at least one owner per organization is the service's rule, not enforced here.
UPDATE core.organization_memberships
SET role       = :role::core.org_role,
    updated_by = :updated_by
WHERE organization_id = :organization_id::uuid
  AND user_id = :user_id::uuid
  AND deleted_at IS NULL
RETURNING
    id, organization_id, user_id, role, invited_by,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: remove_organization_member(organization_id, user_id, deleted_by)!
-- Remove a member from an organization (soft delete of the membership); returns 1, or 0 if not a live member.
UPDATE core.organization_memberships
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id::uuid
  AND user_id = :user_id::uuid
  AND deleted_at IS NULL;
