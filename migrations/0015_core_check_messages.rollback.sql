-- Rollback of 0015_core_check_messages.
--
-- WHY: removes the comments; the generic sentences derived from the constraint
-- names apply again.

SET LOCAL lock_timeout = '5s';

COMMENT ON CONSTRAINT ck_api_keys__key_hash_sha256_hex ON core.api_keys IS NULL;
COMMENT ON CONSTRAINT ck_api_keys__key_prefix_length ON core.api_keys IS NULL;
COMMENT ON CONSTRAINT ck_api_keys__name_length ON core.api_keys IS NULL;
COMMENT ON CONSTRAINT ck_api_keys__expires_after_created ON core.api_keys IS NULL;
COMMENT ON CONSTRAINT ck_auth_tokens__token_hash_sha256_hex ON core.auth_tokens IS NULL;
COMMENT ON CONSTRAINT ck_auth_tokens__jti_length ON core.auth_tokens IS NULL;
COMMENT ON CONSTRAINT ck_auth_tokens__expires_after_issued ON core.auth_tokens IS NULL;
COMMENT ON CONSTRAINT ck_users__username_length ON core.users IS NULL;
COMMENT ON CONSTRAINT ck_users__email_format ON core.users IS NULL;
COMMENT ON CONSTRAINT ck_users__local_requires_password ON core.users IS NULL;
COMMENT ON CONSTRAINT ck_users__hashed_password_is_hash ON core.users IS NULL;
COMMENT ON CONSTRAINT ck_organizations__name_length ON core.organizations IS NULL;
COMMENT ON CONSTRAINT ck_organizations__slug_format ON core.organizations IS NULL;
COMMENT ON CONSTRAINT ck_user_identities__provider_not_local ON core.user_identities IS NULL;
COMMENT ON CONSTRAINT ck_roles__name_format ON core.roles IS NULL;
COMMENT ON CONSTRAINT ck_permissions__code_format ON core.permissions IS NULL;
COMMENT ON CONSTRAINT ck_permissions__code_matches_application ON core.permissions IS NULL;
COMMENT ON CONSTRAINT ck_partitioned_tables__interval_positive ON core.partitioned_tables IS NULL;
