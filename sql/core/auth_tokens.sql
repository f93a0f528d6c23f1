/*
  core.auth_tokens (catalog §3.1, seed 000 "JWT token storage and
  revocation"). One row per issued token, looked up by its JWT id (jti,
  uq_auth_tokens__jti) or by the SHA-256 of the token (token_hash,
  uq_auth_tokens__token_hash). The token itself is never stored.

  A token is ACTIVE when: not revoked, not expired, usage_count < max_uses
  (or no max_uses), and its user is live and active. The same predicate is
  spelled out in find_active_token_by_jti, find_active_token_by_hash,
  list_active_user_tokens and increment_token_usage; keep them in step.
  "Not expired" compares with clock_timestamp(), the time of the statement,
  not now() (the transaction's start): a transaction begun before a token
  expired must not accept it after. The UPDATEs use statement_timestamp()
  (the statement's start, STABLE) instead: Citus refuses VOLATILE functions
  in an UPDATE of a distributed or reference table (docs/scale-out.md).

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: issue_token(user_id, application, token_type, jti, token_hash, issued_at, expires_at, max_uses, ip_address, user_agent)<!
-- record_class: AuthTokenRow
-- Record a newly issued token (by jti and optional SHA-256 hash, never the token) and return it.
-- issued_at defaults to the statement's time; pass the JWT's iat to keep both equal.
-- expires_at must be after issued_at (ck_auth_tokens__expires_after_issued).
INSERT INTO core.auth_tokens (
    user_id, application, token_type, jti, token_hash, issued_at, expires_at,
    max_uses, ip_address, user_agent
)
VALUES (
    :user_id, :application::core.application,
    COALESCE(:token_type::core.token_type, 'access'),
    :jti, :token_hash,
    COALESCE(:issued_at::timestamptz, statement_timestamp()),
    :expires_at, :max_uses, :ip_address, :user_agent
)
RETURNING
    id, user_id, application, token_type, jti, issued_at, expires_at,
    revoked_at, revoked_reason, last_used_at, usage_count, max_uses,
    ip_address, user_agent;

-- name: find_active_token_by_jti(jti)^
-- record_class: AuthTokenRow
-- Find the active token with this jti (not revoked, not expired, uses left, user live and active); None otherwise.
SELECT
    t.id, t.user_id, t.application, t.token_type, t.jti, t.issued_at, t.expires_at,
    t.revoked_at, t.revoked_reason, t.last_used_at, t.usage_count, t.max_uses,
    t.ip_address, t.user_agent
FROM core.auth_tokens AS t
JOIN core.users AS u ON u.id = t.user_id
WHERE t.jti = :jti::text   /* uq_auth_tokens__jti */
  AND t.revoked_at IS NULL
  AND t.expires_at > clock_timestamp()
  AND (t.max_uses IS NULL OR t.usage_count < t.max_uses)
  AND u.deleted_at IS NULL
  AND u.is_active;

-- name: find_active_token_by_hash(token_hash)^
-- record_class: AuthTokenRow
-- Find the active token with this SHA-256 hash (same rules as find_active_token_by_jti); None otherwise.
-- plan: cost <= 30
SELECT
    t.id, t.user_id, t.application, t.token_type, t.jti, t.issued_at, t.expires_at,
    t.revoked_at, t.revoked_reason, t.last_used_at, t.usage_count, t.max_uses,
    t.ip_address, t.user_agent
FROM core.auth_tokens AS t
JOIN core.users AS u ON u.id = t.user_id
WHERE t.token_hash = :token_hash::text   /* uq_auth_tokens__token_hash */
  AND t.revoked_at IS NULL
  AND t.expires_at > clock_timestamp()
  AND (t.max_uses IS NULL OR t.usage_count < t.max_uses)
  AND u.deleted_at IS NULL
  AND u.is_active;

-- name: get_token_by_jti(jti)^
-- record_class: AuthTokenRow
-- Get a token by jti in any state (revoked, expired or used up included).
SELECT
    id, user_id, application, token_type, jti, issued_at, expires_at,
    revoked_at, revoked_reason, last_used_at, usage_count, max_uses,
    ip_address, user_agent
FROM core.auth_tokens
WHERE jti = :jti::text;

-- name: list_active_user_tokens(user_id, application)
-- record_class: AuthTokenRow
-- List a user's active tokens (sessions), newest first, optionally for one application.
-- stream: yes
SELECT
    t.id, t.user_id, t.application, t.token_type, t.jti, t.issued_at, t.expires_at,
    t.revoked_at, t.revoked_reason, t.last_used_at, t.usage_count, t.max_uses,
    t.ip_address, t.user_agent
FROM core.auth_tokens AS t
WHERE t.user_id = :user_id::uuid   /* ix_auth_tokens__user_id */
  AND (:application::core.application IS NULL OR t.application = :application)
  AND t.revoked_at IS NULL
  AND t.expires_at > clock_timestamp()
  AND (t.max_uses IS NULL OR t.usage_count < t.max_uses)
ORDER BY t.issued_at DESC, t.id DESC;

-- name: revoke_token(jti, reason)!
-- Revoke one token by jti; returns 1, or 0 if unknown or already revoked.
UPDATE core.auth_tokens
SET revoked_at = now(),
    revoked_reason = :reason
WHERE jti = :jti::text
  AND revoked_at IS NULL;

-- name: revoke_user_tokens(user_id, application, reason)!
-- Revoke every unrevoked, unexpired token of a user (optionally of one application only); returns how many.
-- Expired tokens are left alone: they are already unusable and
-- purge_expired_tokens removes them.
-- statement_timestamp() (STABLE), not clock_timestamp(): Citus refuses VOLATILE functions in
-- an UPDATE of a distributed or reference table; both are the statement's own time here.
UPDATE core.auth_tokens
SET revoked_at = now(),
    revoked_reason = :reason
WHERE user_id = :user_id::uuid
  AND (:application::core.application IS NULL OR application = :application)
  AND revoked_at IS NULL
  AND expires_at > statement_timestamp();

-- name: increment_token_usage(jti)!
-- Count one use of an active token (usage_count + 1, last_used_at = statement_timestamp()); returns 1 if counted, 0 if the token is unknown, revoked, expired or used up.
-- This is the race-free way to consume a limited-use token (max_uses): the
-- guard is re-checked on the locked row, so two concurrent uses of a
-- single-use token count exactly one (the other gets 0). Check the result
-- instead of calling find_active_token_by_jti first.
-- statement_timestamp() (STABLE), not clock_timestamp(): Citus refuses VOLATILE functions in
-- an UPDATE of a distributed or reference table.
UPDATE core.auth_tokens
SET usage_count = usage_count + 1,
    last_used_at = statement_timestamp()
WHERE jti = :jti::text
  AND revoked_at IS NULL
  AND expires_at > statement_timestamp()
  AND (max_uses IS NULL OR usage_count < max_uses)
  AND EXISTS (SELECT 1 FROM core.users AS u
              WHERE u.id = core.auth_tokens.user_id
                AND u.deleted_at IS NULL
                AND u.is_active);

-- name: purge_expired_tokens(grace, batch_size)!
-- Delete up to batch_size tokens that expired more than `grace` ago; returns how many were deleted (repeat until 0).
-- Revoked tokens are kept until they expire: while a JWT is still within
-- its lifetime its row is what says it is revoked. Batched (oldest first,
-- via ix_auth_tokens__expires_at) so a large backlog never holds long locks
-- or writes one huge transaction; SKIP LOCKED lets two purgers run side by
-- side. Example: grace = timedelta(days=7), batch_size = 5000.
DELETE FROM core.auth_tokens
WHERE id IN (
    SELECT id
    FROM core.auth_tokens
    WHERE expires_at < now() - :grace::interval
    ORDER BY expires_at
    LIMIT :batch_size::int
    FOR UPDATE SKIP LOCKED
);
