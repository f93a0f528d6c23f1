-- 0002_core_tables: the shared identity and RBAC tables of schema `core`
-- (catalog §3.1), everything except the audit log (0003).
--
-- WHY: the five applications had five user tables, four permission models and
-- two API-key tables. They now share one set: users with an optional local
-- password and external identities (SAML/OAuth/OIDC), organizations (tenants of
-- mlops), roles and permissions namespaced by application, and hashed API keys
-- and tokens. Secrets are never stored: keys and tokens as SHA-256 hex,
-- passwords as hashes only; CHECK constraints enforce both.
--
-- Every constraint and index is named (catalog §0.3) because registry_sql.errors
-- translates driver errors by constraint name.
-- depends: 0001_core_foundation

SET LOCAL lock_timeout = '5s';

-- ---------------------------------------------------------------------------
-- Enums: closed sets only. Labels are lower snake_case. Adding a label is a
-- migration of its own (ALTER TYPE ... ADD VALUE; the label cannot be used in
-- the transaction that adds it).
-- ---------------------------------------------------------------------------

-- Which application a role, permission, key, token or audit event belongs to.
CREATE TYPE core.application AS ENUM
    ('core', 'model_registry', 'mlops', 'airlock', 'inspection', 'splunk_ta');
-- A user's primary authentication provider (seed 004).
CREATE TYPE core.auth_provider AS ENUM ('local', 'saml', 'oauth', 'oidc');
-- Tenant administration role within an organization (seed 001).
CREATE TYPE core.org_role AS ENUM ('owner', 'admin', 'member', 'viewer');
CREATE TYPE core.token_type AS ENUM ('access', 'refresh');
-- Who performed an audited action.
CREATE TYPE core.actor_type AS ENUM ('user', 'api_key', 'system');
CREATE TYPE core.audit_action AS ENUM
    ('create', 'read', 'update', 'delete', 'restore', 'approve', 'reject',
     'upload', 'download', 'export', 'login', 'logout', 'grant', 'revoke');
-- Ascending severity, so `event_level >= 'warning'` works.
CREATE TYPE core.event_level AS ENUM ('debug', 'info', 'warning', 'error', 'critical');

-- ---------------------------------------------------------------------------
-- core.users (merges the users of seeds 000, 001, 002, 004)
-- Soft-deletable: uniqueness holds among live rows only (partial indexes).
-- ---------------------------------------------------------------------------
CREATE TABLE core.users (
    id              uuid               NOT NULL DEFAULT gen_random_uuid(),
    username        text               NOT NULL,
    email           text               NOT NULL,
    full_name       text               NULL,
    -- NULL for users who only sign in through an external identity provider.
    hashed_password text               NULL,
    auth_provider   core.auth_provider NOT NULL DEFAULT 'local',
    is_active       boolean            NOT NULL DEFAULT true,
    last_login_at   timestamptz        NULL,
    created_at      timestamptz        NOT NULL DEFAULT now(),
    updated_at      timestamptz        NOT NULL DEFAULT now(),
    created_by      uuid               NULL,
    updated_by      uuid               NULL,
    deleted_at      timestamptz        NULL,
    deleted_by      uuid               NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT ck_users__username_length CHECK (length(username) BETWEEN 1 AND 150),
    CONSTRAINT ck_users__email_format CHECK (position('@' IN email) > 1),
    -- A local account must have a password hash (catalog C2).
    CONSTRAINT ck_users__local_requires_password
        CHECK (auth_provider <> 'local' OR hashed_password IS NOT NULL),
    -- Never plaintext: the value must look like the output of a password
    -- hashing scheme (the service hashes; the database only stores). Accepted:
    --   bcrypt                    $2a$ / $2b$ / $2y$ + cost + 53 chars of salt+hash
    --   PHC / passlib strings     $argon2id$..., $argon2i$, $argon2d$, $scrypt$...,
    --                             $pbkdf2$, $pbkdf2-sha256$... (at least 16 more chars)
    --   Werkzeug                  pbkdf2:sha256:<iter>$salt$hexhash, scrypt:N:r:p$salt$hexhash
    --   Django                    pbkdf2_sha256$<iter>$salt$hash, argon2$..., bcrypt_sha256$..., scrypt$...
    -- Longer than 512 characters is not a hash either.
    CONSTRAINT ck_users__hashed_password_is_hash CHECK (
        hashed_password IS NULL
        OR (length(hashed_password) <= 512 AND (
               hashed_password ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$'
            OR hashed_password ~ '^\$(argon2(id|i|d)|scrypt|pbkdf2(-sha(1|256|512))?)\$[A-Za-z0-9+/.=,$-]{16,}$'
            OR hashed_password ~ '^(pbkdf2:sha(1|256|512):[0-9]+|scrypt:[0-9]+:[0-9]+:[0-9]+)\$[^$]+\$[0-9a-f]{40,}$'
            OR hashed_password ~ '^(pbkdf2_sha(1|256)|argon2|bcrypt_sha256|scrypt)\$[A-Za-z0-9+/.=,$-]{16,}$'
        ))
    ),
    -- ACTOR and SOFT bundles: self-references, SET NULL so a purge of the acting
    -- user does not block or cascade.
    CONSTRAINT fk_users__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_users__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_users__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE core.users IS 'People (and service accounts) of all applications. Soft delete: deleted_at.';
COMMENT ON COLUMN core.users.hashed_password IS 'Password hash (bcrypt/argon2/scrypt/pbkdf2), never plaintext; NULL for SSO-only users.';

-- Case-insensitive uniqueness among live users.
CREATE UNIQUE INDEX uq_users__username_lower ON core.users (lower(username)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX uq_users__email_lower ON core.users (lower(email)) WHERE deleted_at IS NULL;
-- Trigram index for search_users (`ILIKE '%q%'` and `%` similarity).
CREATE INDEX ix_users__search_trgm ON core.users
    USING gin ((username || ' ' || email || ' ' || coalesce(full_name, '')) public.gin_trgm_ops);

CREATE TRIGGER trg_users__set_updated_at
    BEFORE UPDATE ON core.users
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- core.organizations (seed 001): tenants. Soft-deletable.
-- ---------------------------------------------------------------------------
CREATE TABLE core.organizations (
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    name        text        NOT NULL,
    slug        text        NOT NULL,
    description text        NULL,
    settings    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid        NULL,
    updated_by  uuid        NULL,
    deleted_at  timestamptz NULL,
    deleted_by  uuid        NULL,
    CONSTRAINT organizations_pkey PRIMARY KEY (id),
    CONSTRAINT ck_organizations__name_length CHECK (length(name) BETWEEN 1 AND 200),
    -- URL-safe: lowercase letters and digits in groups joined by single hyphens,
    -- 1 to 63 characters (a DNS label).
    CONSTRAINT ck_organizations__slug_format
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 63),
    CONSTRAINT ck_organizations__settings_object CHECK (jsonb_typeof(settings) = 'object'),
    CONSTRAINT fk_organizations__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_organizations__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_organizations__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE core.organizations IS 'Tenants (mlops is multi-tenant). Soft delete: deleted_at.';

CREATE UNIQUE INDEX uq_organizations__slug ON core.organizations (slug) WHERE deleted_at IS NULL;

CREATE TRIGGER trg_organizations__set_updated_at
    BEFORE UPDATE ON core.organizations
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- core.user_identities (seed 004 multi-auth): one row per external identity.
-- Local passwords live in core.users.hashed_password, never here.
-- ---------------------------------------------------------------------------
CREATE TABLE core.user_identities (
    id            uuid               NOT NULL DEFAULT gen_random_uuid(),
    user_id       uuid               NOT NULL,
    provider      core.auth_provider NOT NULL,
    -- SAML entity ID, OIDC issuer URL or OAuth provider name.
    issuer        text               NOT NULL,
    -- SAML NameID or OIDC/OAuth `sub`.
    subject       text               NOT NULL,
    email         text               NULL,
    claims        jsonb              NOT NULL DEFAULT '{}'::jsonb,
    last_login_at timestamptz        NULL,
    created_at    timestamptz        NOT NULL DEFAULT now(),
    updated_at    timestamptz        NOT NULL DEFAULT now(),
    CONSTRAINT user_identities_pkey PRIMARY KEY (id),
    CONSTRAINT ck_user_identities__provider_not_local CHECK (provider <> 'local'),
    CONSTRAINT ck_user_identities__issuer_not_empty CHECK (length(issuer) > 0),
    CONSTRAINT ck_user_identities__subject_not_empty CHECK (length(subject) > 0),
    CONSTRAINT ck_user_identities__claims_object CHECK (jsonb_typeof(claims) = 'object'),
    CONSTRAINT uq_user_identities__provider_issuer_subject UNIQUE (provider, issuer, subject),
    CONSTRAINT fk_user_identities__user_id FOREIGN KEY (user_id) REFERENCES core.users (id) ON DELETE CASCADE
);
COMMENT ON TABLE core.user_identities IS 'External identities (SAML/OAuth/OIDC) linked to a user.';

CREATE INDEX ix_user_identities__user_id ON core.user_identities (user_id);

CREATE TRIGGER trg_user_identities__set_updated_at
    BEFORE UPDATE ON core.user_identities
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- core.organization_memberships (seed 001): who belongs to which tenant, with
-- the tenant-administration role. Soft-deletable.
-- ---------------------------------------------------------------------------
CREATE TABLE core.organization_memberships (
    id              uuid          NOT NULL DEFAULT gen_random_uuid(),
    organization_id uuid          NOT NULL,
    user_id         uuid          NOT NULL,
    role            core.org_role NOT NULL DEFAULT 'member',
    invited_by      uuid          NULL,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    created_by      uuid          NULL,
    updated_by      uuid          NULL,
    deleted_at      timestamptz   NULL,
    deleted_by      uuid          NULL,
    CONSTRAINT organization_memberships_pkey PRIMARY KEY (id),
    CONSTRAINT fk_organization_memberships__organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_organization_memberships__user_id FOREIGN KEY (user_id)
        REFERENCES core.users (id) ON DELETE CASCADE,
    CONSTRAINT fk_organization_memberships__invited_by FOREIGN KEY (invited_by)
        REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_organization_memberships__created_by FOREIGN KEY (created_by)
        REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_organization_memberships__updated_by FOREIGN KEY (updated_by)
        REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_organization_memberships__deleted_by FOREIGN KEY (deleted_by)
        REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE core.organization_memberships IS 'User membership in an organization. Soft delete: deleted_at.';

-- One live membership per (organization, user); also serves the organization_id FK.
CREATE UNIQUE INDEX uq_organization_memberships__org_user
    ON core.organization_memberships (organization_id, user_id) WHERE deleted_at IS NULL;
CREATE INDEX ix_organization_memberships__user_id ON core.organization_memberships (user_id);

CREATE TRIGGER trg_organization_memberships__set_updated_at
    BEFORE UPDATE ON core.organization_memberships
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- RBAC: roles and permissions are rows (not enums), namespaced by application,
-- so adding one needs no ALTER TYPE (catalog C12).
-- ---------------------------------------------------------------------------
CREATE TABLE core.roles (
    id          uuid             NOT NULL DEFAULT gen_random_uuid(),
    application core.application NOT NULL,
    name        text             NOT NULL,
    description text             NULL,
    -- Seeded by migration; the application must not delete or rename it.
    is_system   boolean          NOT NULL DEFAULT false,
    created_at  timestamptz      NOT NULL DEFAULT now(),
    updated_at  timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT roles_pkey PRIMARY KEY (id),
    CONSTRAINT ck_roles__name_format CHECK (name ~ '^[a-z][a-z0-9_]*$' AND length(name) <= 63),
    CONSTRAINT uq_roles__application_name UNIQUE (application, name)
);
COMMENT ON TABLE core.roles IS 'Application roles (RBAC), e.g. (splunk_ta, approver).';

CREATE TRIGGER trg_roles__set_updated_at
    BEFORE UPDATE ON core.roles
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

CREATE TABLE core.permissions (
    id          uuid             NOT NULL DEFAULT gen_random_uuid(),
    application core.application NOT NULL,
    -- <application>:<resource>:<action>, e.g. model_registry:package:upload
    code        text             NOT NULL,
    description text             NULL,
    created_at  timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT permissions_pkey PRIMARY KEY (id),
    CONSTRAINT ck_permissions__code_format CHECK (code ~ '^[a-z_]+:[a-z_]+:[a-z_]+$'),
    -- The code's first segment is the permission's application.
    CONSTRAINT ck_permissions__code_matches_application
        CHECK (split_part(code, ':', 1) = application::text),
    CONSTRAINT uq_permissions__code UNIQUE (code)
);
COMMENT ON TABLE core.permissions IS 'Permission catalog; codes are <application>:<resource>:<action>.';

CREATE TABLE core.role_permissions (
    role_id       uuid        NOT NULL,
    permission_id uuid        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_id),
    CONSTRAINT fk_role_permissions__role_id FOREIGN KEY (role_id)
        REFERENCES core.roles (id) ON DELETE CASCADE,
    CONSTRAINT fk_role_permissions__permission_id FOREIGN KEY (permission_id)
        REFERENCES core.permissions (id) ON DELETE CASCADE
);
COMMENT ON TABLE core.role_permissions IS 'Which permissions each role holds.';

CREATE INDEX ix_role_permissions__permission_id ON core.role_permissions (permission_id);

CREATE TABLE core.user_roles (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    user_id         uuid        NOT NULL,
    role_id         uuid        NOT NULL,
    -- NULL: the grant applies in every organization (and outside any).
    organization_id uuid        NULL,
    granted_by      uuid        NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_roles_pkey PRIMARY KEY (id),
    -- NULLS NOT DISTINCT (PG 15): at most one global grant per (user, role).
    CONSTRAINT uq_user_roles__user_role_org UNIQUE NULLS NOT DISTINCT (user_id, role_id, organization_id),
    CONSTRAINT fk_user_roles__user_id FOREIGN KEY (user_id)
        REFERENCES core.users (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_roles__role_id FOREIGN KEY (role_id)
        REFERENCES core.roles (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_roles__organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_roles__granted_by FOREIGN KEY (granted_by)
        REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE core.user_roles IS 'Role grants to users, optionally scoped to one organization.';

CREATE INDEX ix_user_roles__role_id ON core.user_roles (role_id);
CREATE INDEX ix_user_roles__organization_id ON core.user_roles (organization_id)
    WHERE organization_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- core.api_keys (seeds 001, 002): only the SHA-256 of the secret is stored.
-- user_id and organization_id are both optional: service keys have no owner.
-- ---------------------------------------------------------------------------
CREATE TABLE core.api_keys (
    id              uuid             NOT NULL DEFAULT gen_random_uuid(),
    application     core.application NOT NULL,
    name            text             NOT NULL,
    -- First characters of the key, shown in UIs and logs to identify it.
    key_prefix      text             NOT NULL,
    -- lowercase hex SHA-256 of the full secret.
    key_hash        text             NOT NULL,
    user_id         uuid             NULL,
    organization_id uuid             NULL,
    -- core.permissions codes; validated by the service.
    scopes          text[]           NOT NULL DEFAULT '{}',
    -- Kept for seed 002 compatibility.
    permissions     jsonb            NOT NULL DEFAULT '{}'::jsonb,
    expires_at      timestamptz      NULL,
    last_used_at    timestamptz      NULL,
    last_used_ip    inet             NULL,
    revoked_at      timestamptz      NULL,
    revoked_by      uuid             NULL,
    created_by      uuid             NULL,
    created_at      timestamptz      NOT NULL DEFAULT now(),
    updated_at      timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT api_keys_pkey PRIMARY KEY (id),
    CONSTRAINT ck_api_keys__name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_api_keys__key_prefix_length CHECK (length(key_prefix) BETWEEN 4 AND 16),
    CONSTRAINT ck_api_keys__key_hash_sha256_hex CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_api_keys__permissions_object CHECK (jsonb_typeof(permissions) = 'object'),
    -- Arrays never hold NULL elements (the typed layer reads them as list[str]).
    CONSTRAINT ck_api_keys__scopes_no_nulls CHECK (array_position(scopes, NULL) IS NULL),
    CONSTRAINT ck_api_keys__expires_after_created CHECK (expires_at > created_at),
    CONSTRAINT uq_api_keys__key_hash UNIQUE (key_hash),
    CONSTRAINT fk_api_keys__user_id FOREIGN KEY (user_id)
        REFERENCES core.users (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_keys__organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_api_keys__revoked_by FOREIGN KEY (revoked_by)
        REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_api_keys__created_by FOREIGN KEY (created_by)
        REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE core.api_keys IS 'API keys; only the SHA-256 hex of the secret is stored. Revocation: revoked_at.';

CREATE INDEX ix_api_keys__key_prefix ON core.api_keys (key_prefix);
CREATE INDEX ix_api_keys__user_id ON core.api_keys (user_id);
CREATE INDEX ix_api_keys__organization_id ON core.api_keys (organization_id);
CREATE INDEX ix_api_keys__scopes ON core.api_keys USING gin (scopes);

CREATE TRIGGER trg_api_keys__set_updated_at
    BEFORE UPDATE ON core.api_keys
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- core.auth_tokens (seed 000 JWTs): revocation lookups by jti. Mutated only by
-- revocation and usage counters, so no updated_at.
-- ---------------------------------------------------------------------------
CREATE TABLE core.auth_tokens (
    id             uuid             NOT NULL DEFAULT gen_random_uuid(),
    user_id        uuid             NOT NULL,
    application    core.application NOT NULL,
    token_type     core.token_type  NOT NULL DEFAULT 'access',
    jti            text             NOT NULL,
    -- lowercase hex SHA-256 of the token, when the token itself must be matched.
    token_hash     text             NULL,
    issued_at      timestamptz      NOT NULL DEFAULT now(),
    expires_at     timestamptz      NOT NULL,
    revoked_at     timestamptz      NULL,
    revoked_reason text             NULL,
    last_used_at   timestamptz      NULL,
    -- Per-token counters stay far below 2^31; integer as the catalog specifies.
    -- squawk-ignore prefer-bigint-over-int
    usage_count    integer          NOT NULL DEFAULT 0,
    -- squawk-ignore prefer-bigint-over-int
    max_uses       integer          NULL,
    ip_address     inet             NULL,
    user_agent     text             NULL,
    CONSTRAINT auth_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT ck_auth_tokens__jti_length CHECK (length(jti) BETWEEN 1 AND 255),
    CONSTRAINT ck_auth_tokens__token_hash_sha256_hex CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_auth_tokens__expires_after_issued CHECK (expires_at > issued_at),
    CONSTRAINT ck_auth_tokens__usage_count_non_negative CHECK (usage_count >= 0),
    CONSTRAINT ck_auth_tokens__max_uses_positive CHECK (max_uses > 0),
    CONSTRAINT uq_auth_tokens__jti UNIQUE (jti),
    CONSTRAINT uq_auth_tokens__token_hash UNIQUE (token_hash),
    CONSTRAINT fk_auth_tokens__user_id FOREIGN KEY (user_id)
        REFERENCES core.users (id) ON DELETE CASCADE
);
COMMENT ON TABLE core.auth_tokens IS 'Issued JWTs (by jti) for revocation and usage limits; hashes only.';

CREATE INDEX ix_auth_tokens__user_id ON core.auth_tokens (user_id);
-- Purge of expired tokens.
CREATE INDEX ix_auth_tokens__expires_at ON core.auth_tokens (expires_at);

-- ---------------------------------------------------------------------------
-- core.user_has_permission(user, code, org): the one authorization check.
--   * only live (deleted_at IS NULL), active users have permissions;
--   * a grant with organization_id NULL applies everywhere; an org-scoped grant
--     applies only when p_org is that (live) organization;
--   * role core.platform_admin implies every permission in core.permissions,
--     including ones added later (so it needs no role_permissions rows).
-- Unknown codes return false (for platform_admin too), never an error.
-- ---------------------------------------------------------------------------
CREATE FUNCTION core.user_has_permission(p_user uuid, p_code text, p_org uuid DEFAULT NULL)
    RETURNS boolean
    LANGUAGE sql
    STABLE
    PARALLEL SAFE
AS $fn$
    SELECT EXISTS (
        SELECT 1
          FROM core.users u
          JOIN core.user_roles ur ON ur.user_id = u.id
          JOIN core.roles r ON r.id = ur.role_id
         WHERE u.id = p_user
           AND u.deleted_at IS NULL
           AND u.is_active
           AND (ur.organization_id IS NULL
                OR (ur.organization_id = p_org
                    AND EXISTS (SELECT 1 FROM core.organizations o
                                 WHERE o.id = ur.organization_id AND o.deleted_at IS NULL)))
           AND ((r.application = 'core' AND r.name = 'platform_admin'
                 AND EXISTS (SELECT 1 FROM core.permissions p WHERE p.code = p_code))
                OR EXISTS (SELECT 1
                             FROM core.role_permissions rp
                             JOIN core.permissions p ON p.id = rp.permission_id
                            WHERE rp.role_id = r.id AND p.code = p_code))
    )
$fn$;
COMMENT ON FUNCTION core.user_has_permission(uuid, text, uuid) IS
    'True when a live, active user holds permission p_code through a global grant or a grant scoped to p_org; core.platform_admin holds every known permission; unknown codes are false.';

-- ---------------------------------------------------------------------------
-- Privileges. The migrating role owns everything. registry_app gets DML but
-- never TRUNCATE (TRUNCATE skips row triggers and cannot be row-limited).
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON
    core.users, core.organizations, core.user_identities, core.organization_memberships,
    core.roles, core.permissions, core.role_permissions, core.user_roles,
    core.api_keys, core.auth_tokens
    TO registry_app;
GRANT SELECT ON
    core.users, core.organizations, core.user_identities, core.organization_memberships,
    core.roles, core.permissions, core.role_permissions, core.user_roles,
    core.api_keys, core.auth_tokens
    TO registry_readonly;
-- registry_owner: full table privileges (incl. REFERENCES for FKs from the
-- application schemas, and TRUNCATE for admin purges of these mutable tables).
GRANT ALL PRIVILEGES ON
    core.users, core.organizations, core.user_identities, core.organization_memberships,
    core.roles, core.permissions, core.role_permissions, core.user_roles,
    core.api_keys, core.auth_tokens
    TO registry_owner;

REVOKE ALL ON FUNCTION core.user_has_permission(uuid, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION core.user_has_permission(uuid, text, uuid)
    TO registry_owner, registry_app, registry_readonly;
