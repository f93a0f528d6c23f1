/*
  core.user_identities: external identities (SAML / OAuth / OIDC) linked to a
  user (catalog §3.1, seed 004 multi-auth). One identity is the triple
  (provider, issuer, subject), unique in uq_user_identities__provider_issuer_subject.

  Typical SSO login:
    1. find_user_by_identity(provider, issuer, subject)
    2. found: record_identity_login + users.record_user_login
       not found: users.create_user(auth_provider => provider) + link_identity

  Every `--` line under a `-- name:` header is documentation: aiosql makes
  it the docstring of the generated function (first line = summary), so
  notes for reviewers there reach Python users too.
*/

-- name: link_identity(user_id, provider, issuer, subject, email, claims)<!
-- record_class: UserIdentityRow
-- Link an external identity to a user, or refresh the e-mail and claims of an existing link; returns the identity.
-- Upsert on uq_user_identities__provider_issuer_subject. The DO UPDATE only
-- applies when the identity already belongs to the same user: an identity
-- linked to ANOTHER user is never moved or modified, no row is returned and
-- the generated function raises NotFound (treat it as "identity already linked
-- to another account"). A NULL :email keeps the stored one; :claims replaces
-- the stored claims (default '{}').
INSERT INTO core.user_identities (user_id, provider, issuer, subject, email, claims)
VALUES (
    :user_id, :provider::core.auth_provider, :issuer, :subject, :email,
    COALESCE(:claims::jsonb, '{}'::jsonb)
)
ON CONFLICT (provider, issuer, subject) DO UPDATE
SET email  = COALESCE(EXCLUDED.email, core.user_identities.email),
    claims = EXCLUDED.claims
WHERE core.user_identities.user_id = EXCLUDED.user_id
RETURNING
    id, user_id, provider, issuer, subject, email, claims, last_login_at,
    created_at, updated_at;

-- name: find_identity(provider, issuer, subject)^
-- record_class: UserIdentityRow
-- Find an external identity by (provider, issuer, subject); None if it is not linked.
SELECT
    id, user_id, provider, issuer, subject, email, claims, last_login_at,
    created_at, updated_at
FROM core.user_identities
WHERE provider = :provider::core.auth_provider
  AND issuer = :issuer::text
  AND subject = :subject::text;

-- name: find_user_by_identity(provider, issuer, subject)^
-- record_class: UserRow
-- Find the live user linked to an external identity; None if the identity is unknown or its user is deleted.
-- Inactive users are returned (is_active = false): the caller decides how to refuse them.
SELECT
    u.id, u.username, u.email, u.full_name, u.auth_provider, u.is_active, u.last_login_at,
    u.created_at, u.updated_at, u.created_by, u.updated_by, u.deleted_at, u.deleted_by
FROM core.user_identities AS i
JOIN core.users AS u ON u.id = i.user_id
WHERE i.provider = :provider::core.auth_provider
  AND i.issuer = :issuer::text
  AND i.subject = :subject::text
  AND u.deleted_at IS NULL;

-- name: list_user_identities(user_id)
-- record_class: UserIdentityRow
-- List the external identities linked to a user, oldest first.
-- stream: yes
SELECT
    id, user_id, provider, issuer, subject, email, claims, last_login_at,
    created_at, updated_at
FROM core.user_identities
WHERE user_id = :user_id::uuid
ORDER BY created_at, id;

-- name: record_identity_login(id, email, claims)!
-- Record a login through this identity (last_login_at = now()), refreshing e-mail and claims when given; returns 1, or 0 if unknown.
UPDATE core.user_identities
SET last_login_at = now(),
    email  = COALESCE(:email::text, email),
    claims = COALESCE(:claims::jsonb, claims)
WHERE id = :id;

-- name: unlink_identity(id, user_id)!
-- Remove an external identity from a user; returns 1, or 0 if that user has no such identity.
-- user_id is part of the key so a caller can only unlink its own identities.
DELETE FROM core.user_identities
WHERE id = :id
  AND user_id = :user_id;
