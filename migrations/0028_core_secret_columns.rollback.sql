-- Rollback of 0028_core_secret_columns.
--
-- WHY: restores the column comments as they were before 0028 (no secret
-- marker).

SET LOCAL lock_timeout = '5s';

COMMENT ON COLUMN core.users.hashed_password IS
    'Password hash (bcrypt/argon2/scrypt/pbkdf2), never plaintext; NULL for SSO-only users.';
COMMENT ON COLUMN core.api_keys.key_hash IS NULL;
COMMENT ON COLUMN core.auth_tokens.token_hash IS NULL;
