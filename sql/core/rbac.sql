/*
  Role-based access control shared by every application (catalog §3.1, C1):
    core.roles             named per application (uq_roles__application_name)
    core.permissions       codes '<application>:<resource>:<action>' (uq_permissions__code)
    core.role_permissions  role -> permission
    core.user_roles        grants, optionally scoped to one organization;
                           uq_user_roles__user_role_org is NULLS NOT DISTINCT,
                           so a global grant (organization_id NULL) is unique too.
  Checks go through core.user_has_permission(user, code, org).

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: list_roles(application)
-- record_class: RoleRow
-- List the roles of one application, by name.
-- stream: yes
SELECT id, application, name, description, is_system, created_at, updated_at
FROM core.roles
WHERE application = :application::core.application
ORDER BY name;

-- name: get_role_by_name(application, name)^
-- record_class: RoleRow
-- Get a role by application and name.
SELECT id, application, name, description, is_system, created_at, updated_at
FROM core.roles
WHERE application = :application::core.application
  AND name = :name::text;

-- name: get_role_by_id(id)^
-- record_class: RoleRow
-- Get a role by id.
SELECT id, application, name, description, is_system, created_at, updated_at
FROM core.roles
WHERE id = :id;

-- name: ensure_roles(application, names, descriptions, is_system)!
-- Create the named roles of an application that do not exist yet (existing ones are left untouched); returns how many were created.
-- names[i] pairs with descriptions[i] (descriptions may be shorter or
-- omitted: missing ones are NULL). Idempotent: ON CONFLICT on
-- uq_roles__application_name DO NOTHING, so it is safe to run at every
-- service start (seed 004's ensure_default_roles).
INSERT INTO core.roles (application, name, description, is_system)
SELECT :application::core.application, r.name, r.description,
       COALESCE(:is_system::boolean, false)
FROM unnest(:names::text[], COALESCE(:descriptions::text[], '{}'::text[]))
     AS r(name, description)
WHERE r.name IS NOT NULL
ON CONFLICT (application, name) DO NOTHING;

-- name: grant_role(user_id, role_id, organization_id, granted_by)<!
-- record_class: UserRoleRow
-- Grant a role to a live user, globally or in one organization; idempotent, returns the (new or existing) grant.
-- NotFound (no row) unless the user is live, the role exists, the
-- organization (when given) is live and the granter (when given) is a live
-- user. Granting twice returns the existing grant unchanged: the arbiter is
-- uq_user_roles__user_role_org (NULLS NOT DISTINCT, so global grants with
-- organization_id NULL conflict too), and the DO UPDATE is a deliberate
-- no-op (granted_by set to itself) so that RETURNING yields the existing
-- row; it takes a row lock on it, which is harmless here.
INSERT INTO core.user_roles (user_id, role_id, organization_id, granted_by)
SELECT u.id, r.id, :organization_id::uuid, :granted_by::uuid
FROM core.users AS u
CROSS JOIN core.roles AS r
WHERE u.id = :user_id::uuid
  AND u.deleted_at IS NULL
  AND r.id = :role_id::uuid
  AND (:organization_id::uuid IS NULL
       OR EXISTS (SELECT 1 FROM core.organizations AS o
                  WHERE o.id = :organization_id AND o.deleted_at IS NULL))
  AND (:granted_by::uuid IS NULL
       OR EXISTS (SELECT 1 FROM core.users AS g
                  WHERE g.id = :granted_by AND g.deleted_at IS NULL))
ON CONFLICT (user_id, role_id, organization_id) DO UPDATE
SET granted_by = core.user_roles.granted_by
RETURNING id, user_id, role_id, organization_id, granted_by, created_at;

-- name: grant_role_by_name(user_id, application, role_name, organization_id, granted_by)<!
-- record_class: UserRoleRow
-- Grant the role (application, role_name) to a live user, globally or in one organization; idempotent, returns the grant.
-- Same rules as grant_role; NotFound also when the role name is unknown in
-- that application.
INSERT INTO core.user_roles (user_id, role_id, organization_id, granted_by)
SELECT u.id, r.id, :organization_id::uuid, :granted_by::uuid
FROM core.users AS u
CROSS JOIN core.roles AS r
WHERE u.id = :user_id::uuid
  AND u.deleted_at IS NULL
  AND r.application = :application::core.application
  AND r.name = :role_name::text
  AND (:organization_id::uuid IS NULL
       OR EXISTS (SELECT 1 FROM core.organizations AS o
                  WHERE o.id = :organization_id AND o.deleted_at IS NULL))
  AND (:granted_by::uuid IS NULL
       OR EXISTS (SELECT 1 FROM core.users AS g
                  WHERE g.id = :granted_by AND g.deleted_at IS NULL))
ON CONFLICT (user_id, role_id, organization_id) DO UPDATE
SET granted_by = core.user_roles.granted_by
RETURNING id, user_id, role_id, organization_id, granted_by, created_at;

-- name: revoke_role(user_id, role_id, organization_id)!
-- Revoke a role grant (the global one when organization_id is None, else the one in that organization); returns 1, or 0 if there was none.
DELETE FROM core.user_roles
WHERE user_id = :user_id::uuid
  AND role_id = :role_id::uuid
  AND CASE WHEN :organization_id::uuid IS NULL
           THEN organization_id IS NULL
           ELSE organization_id = :organization_id
      END;

-- name: revoke_role_by_name(user_id, application, role_name, organization_id)!
-- Revoke the grant of role (application, role_name) (global when organization_id is None); returns 1, or 0 if there was none.
DELETE FROM core.user_roles AS ur
USING core.roles AS r
WHERE r.id = ur.role_id
  AND r.application = :application::core.application
  AND r.name = :role_name::text
  AND ur.user_id = :user_id::uuid
  AND CASE WHEN :organization_id::uuid IS NULL
           THEN ur.organization_id IS NULL
           ELSE ur.organization_id = :organization_id
      END;

-- name: list_user_grants(user_id, application)
-- record_class: ListUserGrantsRow
-- List a user's role grants with role and organization names, optionally for one application.
-- organization_slug / organization_name are NULL for global grants (LEFT
-- JOIN). A grant in a soft-deleted organization is still listed (it is
-- still a row); organization_deleted_at says so.
-- stream: yes
SELECT
    ur.id, ur.user_id, ur.role_id, r.application, r.name AS role_name,
    ur.organization_id, o.slug AS organization_slug, o.name AS organization_name,
    o.deleted_at AS organization_deleted_at,
    ur.granted_by, ur.created_at
FROM core.user_roles AS ur
JOIN core.roles AS r ON r.id = ur.role_id
LEFT JOIN core.organizations AS o ON o.id = ur.organization_id
WHERE ur.user_id = :user_id::uuid
  AND (:application::core.application IS NULL OR r.application = :application)
ORDER BY r.application, r.name, o.slug NULLS FIRST, ur.id;

-- name: list_role_members(role_id, organization_id, after_created_at, after_id, limit)
-- record_class: UserRoleRow
-- List the grants of a role to live users (optionally in one organization), newest first (keyset paginated).
SELECT ur.id, ur.user_id, ur.role_id, ur.organization_id, ur.granted_by, ur.created_at
FROM core.user_roles AS ur
JOIN core.users AS u ON u.id = ur.user_id
WHERE ur.role_id = :role_id::uuid
  AND u.deleted_at IS NULL
  AND (:organization_id::uuid IS NULL OR ur.organization_id = :organization_id)
  AND (:after_created_at::timestamptz IS NULL
       OR (ur.created_at, ur.id) < (:after_created_at, :after_id::uuid))
ORDER BY ur.created_at DESC, ur.id DESC
LIMIT :limit::int;

-- name: list_permissions(application)
-- record_class: PermissionRow
-- List the permission catalog, optionally for one application, by code.
-- stream: yes
SELECT id, application, code, description, created_at
FROM core.permissions
WHERE (:application::core.application IS NULL OR application = :application)
ORDER BY code;

-- name: list_role_permissions(role_id)
-- record_class: PermissionRow
-- List the permissions a role carries, by code.
-- stream: yes
SELECT p.id, p.application, p.code, p.description, p.created_at
FROM core.role_permissions AS rp
JOIN core.permissions AS p ON p.id = rp.permission_id
WHERE rp.role_id = :role_id::uuid
ORDER BY p.code;

-- name: list_user_permissions(user_id, organization_id)
-- record_class: PermissionRow
-- List the permissions a user holds, by code: exactly those for which user_has_permission is true.
-- Mirrors core.user_has_permission(): live, active users only; global
-- grants, plus grants scoped to organization_id when it is given and the
-- organization is live; role core.platform_admin holds every permission.
-- stream: yes
SELECT p.id, p.application, p.code, p.description, p.created_at
FROM core.permissions AS p
WHERE EXISTS (
    SELECT 1
    FROM core.users AS u
    JOIN core.user_roles AS ur ON ur.user_id = u.id
    JOIN core.roles AS r ON r.id = ur.role_id
    WHERE u.id = :user_id::uuid
      AND u.deleted_at IS NULL
      AND u.is_active
      AND (ur.organization_id IS NULL
           OR (:organization_id::uuid IS NOT NULL
               AND ur.organization_id = :organization_id
               AND EXISTS (SELECT 1 FROM core.organizations AS o
                           WHERE o.id = ur.organization_id AND o.deleted_at IS NULL)))
      AND ((r.application = 'core' AND r.name = 'platform_admin')
           OR EXISTS (SELECT 1 FROM core.role_permissions AS rp
                      WHERE rp.role_id = r.id AND rp.permission_id = p.id))
)
ORDER BY p.code;

-- name: user_has_permission(user_id, code, organization_id)$
-- True if the user holds the permission code (globally, or in the organization if given), through core.user_has_permission().
SELECT CASE WHEN :organization_id::uuid IS NULL
            THEN core.user_has_permission(:user_id::uuid, :code::text)
            ELSE core.user_has_permission(:user_id::uuid, :code::text, :organization_id)
       END AS "allowed!";
