/*
  mlops.projects and mlops.project_members (catalog §1.1.2, seed 001).

  Tenancy: every mlops table is under row-level security on organization_id
  (policy rls_<table>__tenant). Run these queries inside
  `registry_sql.db.transaction(conn, org_id=...)`: without a tenant they see
  no rows and may write none. Every lookup still names the tenant
  (`organization_id = :organization_id AND id = :id`): the key is
  (organization_id, id), and a distributed (Citus) database routes on it.

  Soft deletes: normal reads add `deleted_at IS NULL`; uniqueness holds among
  live rows (uq_projects__org_slug, uq_project_members__org_project_user).
  Soft-deleting a project does not cascade to its models, experiments or
  deployments (catalog §1.1.5): reads that go through the project hide them.

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary).
*/

-- name: create_project(organization_id, name, slug, description, settings, created_by)<!
-- record_class: ProjectRow
-- Create a project in the current tenant; a slug used by a live project of the tenant raises Conflict.
INSERT INTO mlops.projects (organization_id, name, slug, description, settings, created_by,
    updated_by)
VALUES (
    :organization_id, :name, :slug, :description,
    COALESCE(:settings::jsonb, '{}'::jsonb),
    :created_by, :created_by
)
RETURNING
    organization_id, id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_project_by_id(organization_id, id)^
-- record_class: ProjectRow
-- Get a live project by id.
SELECT
    organization_id, id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.projects
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: get_project_by_slug(organization_id, slug)^
-- record_class: ProjectRow
-- Get a live project by slug.
SELECT
    organization_id, id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.projects
WHERE organization_id = :organization_id
  AND slug = :slug::text   /* uq_projects__org_slug */
  AND deleted_at IS NULL;

-- name: list_projects(organization_id, after_created_at, after_id, limit)
-- record_class: ProjectRow
-- List the live projects of a tenant, newest first (keyset paginated).
SELECT
    organization_id, id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM mlops.projects
WHERE organization_id = :organization_id
  AND deleted_at IS NULL
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) < (:after_created_at, :after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: list_projects_for_user(organization_id, user_id)
-- record_class: ListProjectsForUserRow
-- List the live projects a user is a live member of, with the user's project role, by name.
-- stream: yes
SELECT
    p.organization_id, p.id, p.name, p.slug, p.description,
    m.role AS member_role,
    m.created_at AS member_since
FROM mlops.project_members AS m
JOIN mlops.projects AS p
  ON p.organization_id = m.organization_id AND p.id = m.project_id
WHERE m.organization_id = :organization_id
  AND m.user_id = :user_id::uuid   /* ix_project_members__user_id */
  AND m.deleted_at IS NULL
  AND p.deleted_at IS NULL
ORDER BY p.name, p.id;

-- name: count_projects(organization_id)$
-- Count the live projects of a tenant.
SELECT count(*) AS "total!"
FROM mlops.projects
WHERE organization_id = :organization_id
  AND deleted_at IS NULL;

-- name: update_project(organization_id, id, name, slug, description, settings, updated_by)<!
-- record_class: ProjectRow
-- Update a live project; omitted (None) fields keep their value, settings are replaced as a whole.
UPDATE mlops.projects
SET name        = COALESCE(:name::text, name),
    slug        = COALESCE(:slug::text, slug),
    description = COALESCE(:description::text, description),
    settings    = COALESCE(:settings::jsonb, settings),
    updated_by  = :updated_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL
RETURNING
    organization_id, id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: soft_delete_project(organization_id, id, deleted_by)!
-- Soft-delete a live project; returns 1, or 0 if there is no such live project.
UPDATE mlops.projects
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NULL;

-- name: restore_project(organization_id, id, restored_by)<!
-- record_class: ProjectRow
-- Restore a soft-deleted project; raises Conflict if a live project took its slug meanwhile.
UPDATE mlops.projects
SET deleted_at = NULL,
    deleted_by = NULL,
    updated_by = :restored_by
WHERE organization_id = :organization_id
  AND id = :id
  AND deleted_at IS NOT NULL
RETURNING
    organization_id, id, name, slug, description, settings,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

/* ---------------------------------------------------------------- members */

-- name: add_project_member(organization_id, project_id, user_id, role, added_by)<!
-- record_class: ProjectMemberRow
-- Add a user to a live project (idempotent); re-adding a live member changes its role only when a role is given.
-- NotFound (no row) unless the project is a live project of the tenant, the
-- user is live, and added_by, when given, is a live user. The upsert arbiter is the partial unique index
-- uq_project_members__org_project_user, so ON CONFLICT repeats its predicate.
-- No parameter in DO UPDATE (Citus cannot bind one there, server-side binding): the
-- proposed row carries the role to keep, the given one, else the live member's
-- current one, else 'contributor'; DO UPDATE takes EXCLUDED.role.
INSERT INTO mlops.project_members (organization_id, project_id, user_id, role, created_by,
    updated_by)
SELECT p.organization_id, p.id, u.id,
       COALESCE(:role::mlops.project_role,
                (SELECT cur.role FROM mlops.project_members AS cur
                  WHERE cur.organization_id = p.organization_id AND cur.project_id = p.id
                    AND cur.user_id = u.id AND cur.deleted_at IS NULL),
                'contributor'),
       :added_by::uuid, :added_by::uuid
FROM mlops.projects AS p
CROSS JOIN core.users AS u
WHERE p.organization_id = :organization_id
  AND p.id = :project_id::uuid
  AND p.deleted_at IS NULL
  AND u.id = :user_id::uuid
  AND u.deleted_at IS NULL
  AND (:added_by::uuid IS NULL
       OR EXISTS (SELECT 1 FROM core.users AS adder
                  WHERE adder.id = :added_by AND adder.deleted_at IS NULL))
ON CONFLICT (organization_id, project_id, user_id) WHERE deleted_at IS NULL DO UPDATE
SET role       = EXCLUDED.role,
    updated_by = EXCLUDED.updated_by
RETURNING
    organization_id, id, project_id, user_id, role,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: list_project_members(organization_id, project_id)
-- record_class: ListProjectMembersRow
-- List the live members of a project with their user names, by username.
-- stream: yes
SELECT
    m.organization_id, m.id, m.project_id, m.user_id, m.role, m.created_at,
    u.username, u.email, u.full_name
FROM mlops.project_members AS m
JOIN core.users AS u ON u.id = m.user_id
WHERE m.organization_id = :organization_id
  AND m.project_id = :project_id::uuid
  AND m.deleted_at IS NULL
  AND u.deleted_at IS NULL
ORDER BY u.username, m.id;

-- name: remove_project_member(organization_id, project_id, user_id, deleted_by)!
-- Remove a member from a project (soft delete); returns 1, or 0 if not a live member.
UPDATE mlops.project_members
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by
WHERE organization_id = :organization_id
  AND project_id = :project_id::uuid
  AND user_id = :user_id::uuid
  AND deleted_at IS NULL;
