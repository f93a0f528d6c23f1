-- Rollback of 0028_core_secret_columns.
--
-- WHY: restores the column comments as 0002 and 0035 left them (no secret
-- marker).

SET LOCAL lock_timeout = '5s';

COMMENT ON COLUMN core.users.hashed_password IS
    'Password hash (bcrypt/argon2/scrypt/pbkdf2), never plaintext; NULL for SSO-only users.';
COMMENT ON COLUMN core.api_keys.key_hash IS
    'SHA-256 of the key (hex); the key itself is never stored.';
COMMENT ON COLUMN core.auth_tokens.token_hash IS
    'SHA-256 of the token (hex); the token itself is never stored.';
