-- 0015_core_check_messages: the sentences users read when a
-- core CHECK constraint rejects a row.
--
-- WHY: the friendly message of a constraint belongs next to the constraint, not in
-- the runtime. `registry-sql generate` reads these comments from the catalog and the
-- generated registry_sql.core package registers them on import, so translate_error
-- says what a valid value looks like. A comment may start with `<column>: ` to name
-- the field the message is about; otherwise the field is the first word of the
-- sentence (or the constraint's only column). Constraints without a comment get a
-- generic sentence derived from their name (ck_<table>__<column>_<rule>).
-- depends: 0013_mlops_notifications

SET LOCAL lock_timeout = '5s';

COMMENT ON CONSTRAINT ck_api_keys__key_hash_sha256_hex ON core.api_keys IS
    'key_hash must be 64 lowercase hex characters (a SHA-256 digest), never the key itself';
COMMENT ON CONSTRAINT ck_api_keys__key_prefix_length ON core.api_keys IS
    'key_prefix must be 4 to 16 characters (the start of the key shown in UIs)';
COMMENT ON CONSTRAINT ck_api_keys__name_length ON core.api_keys IS
    'name must be 1 to 200 characters long';
COMMENT ON CONSTRAINT ck_api_keys__expires_after_created ON core.api_keys IS
    'expires_at must be later than created_at';
COMMENT ON CONSTRAINT ck_auth_tokens__token_hash_sha256_hex ON core.auth_tokens IS
    'token_hash must be 64 lowercase hex characters (a SHA-256 digest), never the token itself';
COMMENT ON CONSTRAINT ck_auth_tokens__jti_length ON core.auth_tokens IS
    'jti must be 1 to 255 characters long';
COMMENT ON CONSTRAINT ck_auth_tokens__expires_after_issued ON core.auth_tokens IS
    'expires_at must be later than issued_at';
COMMENT ON CONSTRAINT ck_users__username_length ON core.users IS
    'username must be 1 to 150 characters long';
COMMENT ON CONSTRAINT ck_users__email_format ON core.users IS
    'email must contain an ''@'' after at least one character';
COMMENT ON CONSTRAINT ck_users__local_requires_password ON core.users IS
    'hashed_password: a user with auth_provider ''local'' needs a hashed_password';
COMMENT ON CONSTRAINT ck_users__hashed_password_is_hash ON core.users IS
    'hashed_password must be a password hash (bcrypt, argon2, scrypt or pbkdf2 format), never the plaintext password';
COMMENT ON CONSTRAINT ck_organizations__name_length ON core.organizations IS
    'name must be 1 to 200 characters long';
COMMENT ON CONSTRAINT ck_organizations__slug_format ON core.organizations IS
    'slug must be lowercase letters and digits in groups joined by single hyphens, at most 63 characters (e.g. ''acme-labs'')';
COMMENT ON CONSTRAINT ck_user_identities__provider_not_local ON core.user_identities IS
    'provider must be an external identity provider (saml, oauth, oidc), not ''local''';
COMMENT ON CONSTRAINT ck_roles__name_format ON core.roles IS
    'name must be lower snake_case (a letter, then letters, digits or underscores), at most 63 characters';
COMMENT ON CONSTRAINT ck_permissions__code_format ON core.permissions IS
    'code must look like ''<application>:<resource>:<action>'' in lowercase';
COMMENT ON CONSTRAINT ck_permissions__code_matches_application ON core.permissions IS
    'code: the first segment of code must be the permission''s application';
COMMENT ON CONSTRAINT ck_partitioned_tables__interval_positive ON core.partitioned_tables IS
    'partition_interval must be a positive interval (e.g. ''1 month'')';
