-- 0028_core_secret_columns: mark the columns that hold credential material.
--
-- WHY: a password hash, an API key hash or a token hash must never travel
-- beyond the query that needs it: not in error messages, repr(), the DB_ECHO
-- log or CLI output (issue 19). The typed layer learns which columns are
-- secret from the schema itself: a table whose comment contains
-- "[secret: col, ...]" has those secret columns (a column comment starting
-- with "[secret]" marks one too). `registry-sql generate` reads the markers;
-- the generated code keeps such values out of repr(), masks them in logs and
-- error messages, and checks a secret parameter's format (from the column's
-- CHECK constraints) before sending it, so that a plaintext password passed by
-- mistake never reaches the server. The markers sit in the table comments so
-- that the column comments (0035) stay as they are, in any order of apply.
-- depends: 0027_core_maintain_partitions_catalog

SET LOCAL lock_timeout = '5s';

COMMENT ON TABLE core.users IS
    'People (and service accounts) of all applications. Soft delete: deleted_at. [secret: hashed_password]';
COMMENT ON TABLE core.api_keys IS
    'API keys; only the SHA-256 hex of the secret is stored. Revocation: revoked_at. [secret: key_hash]';
COMMENT ON TABLE core.auth_tokens IS
    'Issued JWTs (by jti) for revocation and usage limits; hashes only. [secret: token_hash]';
