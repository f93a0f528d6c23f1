-- 0028_core_secret_columns: mark the columns that hold credential material.
--
-- WHY: a password hash, an API key hash or a token hash must never travel
-- beyond the query that needs it: not in error messages, repr(), the DB_ECHO
-- log or CLI output (issue 19). The typed layer learns which columns are
-- secret from the schema itself: a column whose comment starts with
-- "[secret]" is one. `registry-sql generate` reads the marker; the generated
-- code keeps such values out of repr(), masks them in logs and error
-- messages, and checks a secret parameter's format (from the column's CHECK
-- constraints) before sending it, so that a plaintext password passed by
-- mistake never reaches the server. Mark a new secret column the same way.
-- depends: 0027_core_maintain_partitions_catalog 0035_core_column_comments

SET LOCAL lock_timeout = '5s';

COMMENT ON COLUMN core.users.hashed_password IS
    '[secret] Password hash (bcrypt/argon2/scrypt/pbkdf2), never plaintext; NULL for SSO-only users.';
COMMENT ON COLUMN core.api_keys.key_hash IS
    '[secret] SHA-256 of the key (hex); the key itself is never stored.';
COMMENT ON COLUMN core.auth_tokens.token_hash IS
    '[secret] SHA-256 of the token (hex); the token itself is never stored.';
