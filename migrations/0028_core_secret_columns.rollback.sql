-- Rollback of 0028_core_secret_columns.
--
-- WHY: restores the table comments as 0002 left them (no secret markers).

SET LOCAL lock_timeout = '5s';

COMMENT ON TABLE core.users IS 'People (and service accounts) of all applications. Soft delete: deleted_at.';
COMMENT ON TABLE core.api_keys IS 'API keys; only the SHA-256 hex of the secret is stored. Revocation: revoked_at.';
COMMENT ON TABLE core.auth_tokens IS 'Issued JWTs (by jti) for revocation and usage limits; hashes only.';
