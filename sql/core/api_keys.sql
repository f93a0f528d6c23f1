/*
  core.api_keys (catalog §3.1, seeds 001 and 002). The secret is never
  stored: the service generates it, shows it once, and stores key_prefix (the
  first characters, for display) and key_hash (lowercase hex SHA-256 of the
  whole secret, unique in uq_api_keys__key_hash). Verification hashes the
  presented secret and looks the row up by hash.

  ApiKeyRow carries neither the secret nor its hash. Revocation sets
  revoked_at/revoked_by (there is no soft delete: a revoked key stays visible
  to its owner and to audits).

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: create_api_key(application, name, key_prefix, key_hash, user_id, organization_id, scopes, permissions, expires_at, created_by)<!
-- record_class: ApiKeyRow
-- Store a new API key by prefix and SHA-256 hash (never the secret) and return it.
-- key_hash must be 64 lowercase hex characters (ck_api_keys__key_hash_sha256_hex);
-- expires_at, when given, must be in the future (ck_api_keys__expires_after_created).
INSERT INTO core.api_keys (
    application, name, key_prefix, key_hash, user_id, organization_id,
    scopes, permissions, expires_at, created_by
)
VALUES (
    :application::core.application, :name, :key_prefix, :key_hash,
    :user_id, :organization_id,
    COALESCE(:scopes::text[], '{}'::text[]),
    COALESCE(:permissions::jsonb, '{}'::jsonb),
    :expires_at, :created_by
)
RETURNING
    id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
    expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
    created_at, updated_at;

-- name: find_api_key_by_hash(key_hash)^
-- record_class: ApiKeyRow
-- Find the key with this SHA-256 hash for verification, whatever its state; None if unknown.
-- plan: cost <= 30
-- Expired and revoked keys ARE returned (expires_at, revoked_at): the caller
-- decides expired / revoked / ok and can say which (compare expires_at with
-- the current time, not with the start of a long transaction). Keys are hidden (None)
-- when their owner user is soft-deleted or deactivated, or their
-- organization is soft-deleted: such keys must not authenticate, and
-- deactivating a user does not revoke its keys. Service keys (user_id and
-- organization_id NULL) are unaffected. Served by uq_api_keys__key_hash.
SELECT
    k.id, k.application, k.name, k.key_prefix, k.user_id, k.organization_id, k.scopes,
        k.permissions,
    k.expires_at, k.last_used_at, k.last_used_ip, k.revoked_at, k.revoked_by, k.created_by,
    k.created_at, k.updated_at
FROM core.api_keys AS k
WHERE k.key_hash = :key_hash::text
  AND NOT EXISTS (SELECT 1 FROM core.users AS u
                  WHERE u.id = k.user_id
                    AND (u.deleted_at IS NOT NULL OR NOT u.is_active))
  AND NOT EXISTS (SELECT 1 FROM core.organizations AS o
                  WHERE o.id = k.organization_id
                    AND o.deleted_at IS NOT NULL);

-- name: get_api_key_by_id(id)^
-- record_class: ApiKeyRow
-- Get an API key by id (revoked and expired keys included).
SELECT
    id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
    expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
    created_at, updated_at
FROM core.api_keys
WHERE id = :id;

-- name: list_user_api_keys(user_id, include_revoked)
-- record_class: ApiKeyRow
-- List a user's API keys, newest first; revoked keys only when include_revoked is true.
-- stream: yes
SELECT
    id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
    expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
    created_at, updated_at
FROM core.api_keys
WHERE user_id = :user_id::uuid   /* ix_api_keys__user_id */
  AND (:include_revoked::boolean OR revoked_at IS NULL)
ORDER BY created_at DESC, id DESC;

-- name: list_organization_api_keys(organization_id, include_revoked, after_created_at, after_id, limit)
-- record_class: ApiKeyRow
-- List an organization's API keys, newest first (keyset paginated); revoked keys only when include_revoked is true.
SELECT
    id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
    expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
    created_at, updated_at
FROM core.api_keys
WHERE organization_id = :organization_id::uuid   /* ix_api_keys__organization_id */
  AND (:include_revoked::boolean OR revoked_at IS NULL)
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) < (:after_created_at, :after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: update_api_key(id, name, scopes, permissions, expires_at)<!
-- record_class: ApiKeyRow
-- Rename an unrevoked key or change its scopes, permissions or expiry; omitted (None) fields keep their value.
UPDATE core.api_keys
SET name        = COALESCE(:name::text, name),
    scopes      = COALESCE(:scopes::text[], scopes),
    permissions = COALESCE(:permissions::jsonb, permissions),
    expires_at  = COALESCE(:expires_at::timestamptz, expires_at)
WHERE id = :id
  AND revoked_at IS NULL
RETURNING
    id, application, name, key_prefix, user_id, organization_id, scopes, permissions,
    expires_at, last_used_at, last_used_ip, revoked_at, revoked_by, created_by,
    created_at, updated_at;

-- name: revoke_api_key(id, revoked_by)!
-- Revoke an API key now; returns 1, or 0 if it does not exist or was already revoked.
UPDATE core.api_keys
SET revoked_at = now(),
    revoked_by = :revoked_by
WHERE id = :id
  AND revoked_at IS NULL;

-- name: revoke_user_api_keys(user_id, revoked_by)!
-- Revoke every unrevoked API key of a user; returns how many were revoked.
UPDATE core.api_keys
SET revoked_at = now(),
    revoked_by = :revoked_by
WHERE user_id = :user_id::uuid
  AND revoked_at IS NULL;

-- name: touch_api_key(id, last_used_ip)!
-- Record a use of an API key (last_used_at, last_used_ip), at most once a minute per key and address; returns 1 if written, 0 if skipped.
-- Write throttling: verification runs on every request, and each UPDATE
-- writes a new row version (and fires trg_api_keys__set_updated_at). The
-- row is only rewritten when the last recorded use is older than one minute
-- or came from another address, so last_used_at is accurate to a minute.
UPDATE core.api_keys
SET last_used_at = now(),
    last_used_ip = :last_used_ip
WHERE id = :id
  AND (last_used_at IS NULL
       OR last_used_at < now() - interval '1 minute'
       OR last_used_ip IS DISTINCT FROM :last_used_ip::inet);
