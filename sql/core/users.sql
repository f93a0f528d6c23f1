/*
  core.users: accounts shared by every application (catalog §3.1).

  Column sets:
    UserRow        the public shape; every query below returns it except the
                   login lookup and the role summary. It never carries
                   hashed_password.
    UserLoginRow   find_user_for_login only: the one query that returns the
                   password hash.

  Soft delete: normal reads add `deleted_at IS NULL`. Uniqueness of username
  and email is case-insensitive among live rows (partial unique indexes
  uq_users__username_lower / uq_users__email_lower), so lookups compare
  lower(col) = lower(:param) to use them.

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: create_user(username, email, full_name, hashed_password, auth_provider, is_active, created_by)<!
-- record_class: UserRow
-- Create a user and return its public row (never the hash).
-- auth_provider defaults to 'local'; ck_users__local_requires_password
-- rejects a local user without a hash. Duplicate username/email
-- among live users raises a unique violation on uq_users__*_lower.
INSERT INTO core.users (
    username, email, full_name, hashed_password, auth_provider, is_active,
    created_by, updated_by
)
VALUES (
    :username, :email, :full_name, :hashed_password,
    COALESCE(:auth_provider::core.auth_provider, 'local'),
    COALESCE(:is_active::boolean, true),
    :created_by, :created_by
)
RETURNING
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: get_user_by_id(id)^
-- record_class: UserRow
-- Get a live user by id.
-- plan: cost <= 20
SELECT
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.users
WHERE id = :id
  AND deleted_at IS NULL;

-- name: get_user_by_username(username)^
-- record_class: UserRow
-- Get a live user by username, case-insensitively.
-- plan: cost <= 20
SELECT
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.users
WHERE lower(username) = lower(:username::text)   /* uq_users__username_lower */
  AND deleted_at IS NULL;

-- name: get_user_by_email(email)^
-- record_class: UserRow
-- Get a live user by e-mail address, case-insensitively.
SELECT
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.users
WHERE lower(email) = lower(:email::text)   /* uq_users__email_lower */
  AND deleted_at IS NULL;

-- name: list_users_by_ids(ids)
-- record_class: UserRow
-- List the live users among the given ids (missing or deleted ids are skipped).
-- stream: yes
SELECT
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.users
WHERE id = ANY(:ids::uuid[])
  AND deleted_at IS NULL
ORDER BY id;

-- name: find_user_for_login(email)^
-- record_class: UserLoginRow
-- Find the live, active user with this e-mail for password login, with its password hash; None if there is none.
-- The ONLY query that returns hashed_password. hashed_password is NULL for
-- SSO-only users (auth_provider <> 'local'): the caller must treat a NULL hash
-- as "password login not available" and never compare against it.
-- Deleted and deactivated users are filtered out here, so the caller cannot
-- accidentally let them in.
SELECT
    id, username, email, full_name, auth_provider, hashed_password
FROM core.users
WHERE lower(email) = lower(:email::text)   /* uq_users__email_lower */
  AND deleted_at IS NULL
  AND is_active;

-- name: search_users(q, limit)
-- record_class: UserRow
-- Search live users by trigram match on username, e-mail and full name, newest first (keyset paginated).
-- The search expression must stay textually identical to the expression of
-- ix_users__search_trgm (GIN gin_trgm_ops) so the planner can use that index:
--     (username || ' ' || email || ' ' || coalesce(full_name, ''))
-- Two index-served predicates, OR-ed (a BitmapOr over the same GIN index):
--   - ILIKE '%q%'  substring match; LIKE wildcards in :q are escaped so a
--                  user typing "a_b" matches "a_b" literally;
--   - :q <% expr   pg_trgm word similarity >= pg_trgm.word_similarity_threshold
--                  (default 0.6): catches small typos ("Liddel" finds
--                  "Liddell"). The threshold is a setting, not a parameter:
--                  tune it per role or database, e.g.
--                  ALTER ROLE ... SET pg_trgm.word_similarity_threshold = 0.5.
-- Pagination: pass the last row's (created_at, id) as after_created_at /
-- after_id to get the next page. is_active and the cursor are optional blocks:
-- each combination is its own statement (see docs/queries.md, "Optional filters").
-- plan: cost <= 100
SELECT
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.users
WHERE deleted_at IS NULL
  AND (
        (username || ' ' || email || ' ' || coalesce(full_name, ''))
            ILIKE '%' || replace(replace(replace(:q::text, '\', '\\'), '%', '\%'), '_',
                '\_') || '%'
     OR :q::text <% (username || ' ' || email || ' ' || coalesce(full_name, ''))
  )
  /*? AND is_active = :is_active::boolean ?*/
  /*? AND (created_at, id) < (:after_created_at::timestamptz, :after_id::uuid) ?*/
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: count_search_users(q)$
-- Count the live users search_users would return for this query (all pages).
SELECT count(*) AS "total!"
FROM core.users
WHERE deleted_at IS NULL
  AND (
        (username || ' ' || email || ' ' || coalesce(full_name, ''))
            ILIKE '%' || replace(replace(replace(:q::text, '\', '\\'), '%', '\%'), '_',
                '\_') || '%'
     OR :q::text <% (username || ' ' || email || ' ' || coalesce(full_name, ''))
  )
  /*? AND is_active = :is_active::boolean ?*/;

-- name: search_users_by_similarity(q, limit)
-- record_class: SearchUsersBySimilarityRow
-- The live users most similar to the query (best match first), for autocomplete; no pagination.
-- Ranked by pg_trgm word_similarity; the `<%` filter lets ix_users__search_trgm
-- prune candidates first. Ties broken by username for a stable order.
SELECT
    id, username, email, full_name, auth_provider, is_active,
    word_similarity(:q::text, username || ' ' || email || ' ' || coalesce(full_name, ''))
        AS "score!"
FROM core.users
WHERE deleted_at IS NULL
  AND :q::text <% (username || ' ' || email || ' ' || coalesce(full_name, ''))
ORDER BY "score!" DESC, lower(username), id
LIMIT :limit::int;

-- name: list_users(is_active, after_created_at, after_id, limit)
-- record_class: UserRow
-- List live users, newest first (keyset paginated).
SELECT
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by
FROM core.users
WHERE deleted_at IS NULL
  AND (:is_active::boolean IS NULL OR is_active = :is_active)
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) < (:after_created_at, :after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: count_users(is_active)$
-- Count live users, optionally only active or only inactive ones.
SELECT count(*) AS "total!"
FROM core.users
WHERE deleted_at IS NULL
  AND (:is_active::boolean IS NULL OR is_active = :is_active);

-- name: update_user(id, username, email, full_name, auth_provider, is_active, updated_by)<!
-- record_class: UserRow
-- Update a live user's profile; omitted (None) fields keep their current value.
-- COALESCE(:x, col) means "keep if omitted", so this query cannot set
-- full_name back to NULL (use an empty string, or add a dedicated query).
-- Passwords change through update_user_password.
UPDATE core.users
SET username      = COALESCE(:username::text, username),
    email         = COALESCE(:email::text, email),
    full_name     = COALESCE(:full_name::text, full_name),
    auth_provider = COALESCE(:auth_provider::core.auth_provider, auth_provider),
    is_active     = COALESCE(:is_active::boolean, is_active),
    updated_by    = :updated_by
WHERE id = :id
  AND deleted_at IS NULL
RETURNING
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: update_user_password(id, hashed_password, updated_by)!
-- Replace a live user's password hash (the hash, never the password); returns 1, or 0 if no such live user.
-- None removes the password (SSO-only account); ck_users__local_requires_password
-- rejects that for auth_provider 'local'. ck_users__hashed_password_is_hash
-- rejects anything that does not look like a bcrypt/argon2/scrypt/pbkdf2 hash.
UPDATE core.users
SET hashed_password = :hashed_password,
    updated_by      = :updated_by
WHERE id = :id
  AND deleted_at IS NULL;

-- name: record_user_login(id)!
-- Record a successful login (last_login_at = now()); returns 1, or 0 if no such live user.
UPDATE core.users
SET last_login_at = now()
WHERE id = :id
  AND deleted_at IS NULL;

-- name: soft_delete_user(id, deleted_by)!
-- Soft-delete a live user and revoke its tokens and API keys, in one statement; returns 1, or 0 if no such live user.
-- One statement, so it is atomic even outside an explicit transaction.
-- All parts see the same snapshot: the CTEs find the user still live and
-- revoke its unrevoked tokens and keys; the main UPDATE marks the user
-- deleted and inactive. The rowcount is the main UPDATE's (users).
-- Memberships and role grants are kept, so restore_user brings the account
-- back as it was (tokens and keys stay revoked).
WITH live_user AS (
    SELECT id FROM core.users WHERE id = :id AND deleted_at IS NULL
),
revoked_tokens AS (
    UPDATE core.auth_tokens
    SET revoked_at = now(),
        revoked_reason = 'user deleted'
    WHERE user_id IN (SELECT id FROM live_user)
      AND revoked_at IS NULL
    RETURNING id
),
revoked_keys AS (
    UPDATE core.api_keys
    SET revoked_at = now(),
        revoked_by = :deleted_by::uuid
    WHERE user_id IN (SELECT id FROM live_user)
      AND revoked_at IS NULL
    RETURNING id
)
UPDATE core.users
SET deleted_at = now(),
    deleted_by = :deleted_by,
    updated_by = :deleted_by,
    is_active  = false
WHERE id = :id
  AND deleted_at IS NULL;

-- name: restore_user(id, restored_by)<!
-- record_class: UserRow
-- Restore a soft-deleted user (active again; its revoked tokens and keys stay revoked).
-- Raises a unique violation (uq_users__username_lower / uq_users__email_lower)
-- if a live user took the username or e-mail in the meantime.
UPDATE core.users
SET deleted_at = NULL,
    deleted_by = NULL,
    is_active  = true,
    updated_by = :restored_by
WHERE id = :id
  AND deleted_at IS NOT NULL
RETURNING
    id, username, email, full_name, auth_provider, is_active, last_login_at,
    created_at, updated_at, created_by, updated_by, deleted_at, deleted_by;

-- name: purge_user(id)!
-- Hard-delete a user (admin only; live or soft-deleted); returns 1, or 0 if there is no such user.
-- Cascades to identities, memberships, role grants, tokens and API keys, and
-- sets actor columns declared ON DELETE SET NULL to NULL. Fails with a
-- foreign-key violation (NO ACTION) while domain records that must stay
-- attributable (inspection, airlock submissions) still reference the user:
-- soft-delete instead. core.audit_log has no FK, so its rows are untouched.
DELETE FROM core.users
WHERE id = :id;

-- name: get_user_with_roles(id, application, organization_id)^
-- record_class: GetUserWithRolesRow
-- Get a live user with the names of its roles in one application (global grants, plus grants in the organization if given).
-- organization_id NULL: only global grants (user_roles.organization_id IS NULL).
-- organization_id set:  global grants plus grants scoped to that organization
--                       (ignored if the organization is soft-deleted), as in
--                       core.user_has_permission().
-- roles is '{}' (never NULL) for a user with no role in the application.
SELECT
    u.id, u.username, u.email, u.full_name, u.auth_provider, u.is_active, u.last_login_at,
    u.created_at, u.updated_at, u.created_by, u.updated_by, u.deleted_at, u.deleted_by,
    COALESCE(
        array_agg(DISTINCT r.name ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL),
        '{}'::text[]
    ) AS "roles!"
FROM core.users AS u
LEFT JOIN core.user_roles AS ur
       ON ur.user_id = u.id
      AND CASE WHEN :organization_id::uuid IS NULL
               THEN ur.organization_id IS NULL
               ELSE ur.organization_id IS NULL
                    OR (ur.organization_id = :organization_id
                        AND EXISTS (SELECT 1 FROM core.organizations AS o
                                    WHERE o.id = ur.organization_id AND o.deleted_at IS NULL))
          END
LEFT JOIN core.roles AS r
       ON r.id = ur.role_id
      AND r.application = :application::core.application
WHERE u.id = :id
  AND u.deleted_at IS NULL
-- Every selected column listed (not just the key u.id): Citus plans the query on a shard of
-- core.users, where PostgreSQL's functional dependency on the primary key is not recognised.
GROUP BY u.id, u.username, u.email, u.full_name, u.auth_provider, u.is_active, u.last_login_at,
    u.created_at, u.updated_at, u.created_by, u.updated_by, u.deleted_at, u.deleted_by;
