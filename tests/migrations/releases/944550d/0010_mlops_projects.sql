-- 0010_mlops_projects: the `mlops` schema, projects and project members
-- (seed 001, Alembic revision 001_initial_schema; organizations and users are
-- in core).
--
-- WHY: the MLOps platform is multi-tenant ("Organization-based isolation"):
--   * every mlops table carries organization_id and is keyed
--     PRIMARY KEY (organization_id, id); every foreign key between mlops tables
--     carries organization_id too (FOREIGN KEY (organization_id, project_id)
--     REFERENCES mlops.projects (organization_id, id)). A child row can therefore
--     never point at another tenant's parent, and the tables can later be
--     distributed by organization_id with Citus (DESIGN §12). Foreign keys into
--     core (organizations, users) are plain: core tables become reference tables.
--   * row-level security, ENABLEd and FORCEd on every table, with one policy
--     rls_<table>__tenant: a row is visible and writable only when its
--     organization_id equals the transaction's tenant
--     (SET LOCAL app.org_id, see registry_sql.db.tenant). No tenant set: no rows
--     and no writes, for every role but superusers and BYPASSRLS roles (none of
--     ours). FORCE makes it bind the table owner too.
--   * soft deletes (deleted_at, deleted_by); uniqueness holds among live rows
--     (partial unique indexes WHERE deleted_at IS NULL).
-- depends: 0004_core_reference_data

SET LOCAL lock_timeout = '5s';

CREATE SCHEMA mlops;
COMMENT ON SCHEMA mlops IS
    'MLOps platform (seed 001): projects, models, experiments, deployments, monitoring, notifications. Multi-tenant: row-level security on organization_id.';

REVOKE ALL ON SCHEMA mlops FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA mlops TO registry_owner;
GRANT USAGE ON SCHEMA mlops TO registry_app, registry_readonly;

CREATE TYPE mlops.project_role AS ENUM ('owner', 'maintainer', 'contributor', 'viewer');
COMMENT ON TYPE mlops.project_role IS 'Per-project access level (catalog §1.1.3).';

-- ---------------------------------------------------------------------------
-- mlops.projects: "Projects belong to Organizations and contain Models,
-- Experiments". Soft-deletable.
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.projects (
    organization_id uuid        NOT NULL,
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    name            text        NOT NULL,
    slug            text        NOT NULL,
    description     text        NULL,
    settings        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid        NULL,
    updated_by      uuid        NULL,
    deleted_at      timestamptz NULL,
    deleted_by      uuid        NULL,
    CONSTRAINT projects_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_projects__name_length CHECK (length(name) BETWEEN 1 AND 200),
    -- URL-safe, like core.organizations.slug.
    CONSTRAINT ck_projects__slug_format
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 63),
    CONSTRAINT ck_projects__settings_object CHECK (jsonb_typeof(settings) = 'object'),
    CONSTRAINT fk_projects__organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_projects__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_projects__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_projects__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.projects IS
    'Projects of a tenant. PK (organization_id, id); RLS on organization_id; soft delete: deleted_at.';

-- "organization and project lookups"; also serves fk_projects__organization_id.
CREATE UNIQUE INDEX uq_projects__org_slug ON mlops.projects (organization_id, slug)
    WHERE deleted_at IS NULL;

CREATE TRIGGER trg_projects__set_updated_at
    BEFORE UPDATE ON mlops.projects
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- mlops.project_members: per-project access ("User-project relationships").
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.project_members (
    organization_id uuid               NOT NULL,
    id              uuid               NOT NULL DEFAULT gen_random_uuid(),
    project_id      uuid               NOT NULL,
    user_id         uuid               NOT NULL,
    role            mlops.project_role NOT NULL DEFAULT 'contributor',
    created_at      timestamptz        NOT NULL DEFAULT now(),
    updated_at      timestamptz        NOT NULL DEFAULT now(),
    created_by      uuid               NULL,
    updated_by      uuid               NULL,
    deleted_at      timestamptz        NULL,
    deleted_by      uuid               NULL,
    CONSTRAINT project_members_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT fk_project_members__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_project_members__user_id FOREIGN KEY (user_id) REFERENCES core.users (id) ON DELETE CASCADE,
    CONSTRAINT fk_project_members__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_project_members__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_project_members__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.project_members IS
    'Who may work on a project, with which role. RLS on organization_id; soft delete: deleted_at.';

-- One live membership per user and project; also serves fk_project_members__project_id.
CREATE UNIQUE INDEX uq_project_members__org_project_user
    ON mlops.project_members (organization_id, project_id, user_id)
    WHERE deleted_at IS NULL;
-- "my projects"; authorization.
CREATE INDEX ix_project_members__user_id ON mlops.project_members (user_id);

CREATE TRIGGER trg_project_members__set_updated_at
    BEFORE UPDATE ON mlops.project_members
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- Tenant isolation. NULLIF(..., '') turns "never set" and "set to empty" into
-- NULL, and `organization_id = NULL` is never true: no tenant, no rows.
-- The expression is STABLE, evaluated once per statement, and index-friendly
-- (every key leads with organization_id).
-- ---------------------------------------------------------------------------
ALTER TABLE mlops.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.projects FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_projects__tenant ON mlops.projects
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.project_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.project_members FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_project_members__tenant ON mlops.project_members
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

-- ---------------------------------------------------------------------------
-- Privileges: DML (never TRUNCATE: it ignores row-level security) for the
-- application, SELECT for read-only, everything for the owner role.
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE ON mlops.projects, mlops.project_members TO registry_app;
GRANT SELECT ON mlops.projects, mlops.project_members TO registry_readonly;
GRANT ALL PRIVILEGES ON mlops.projects, mlops.project_members TO registry_owner;
