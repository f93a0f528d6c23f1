-- 0013_mlops_notifications: notification channels and rules (seed 001,
-- Alembic revision 004_security_notifications; its API keys and audit logs
-- are core.api_keys and core.audit_log).
--
-- WHY: "Notification channel configurations (Slack, email, etc.)" and
-- "Automated notification triggers": a rule sends events of one type (at or
-- above a minimum severity, optionally for one project, at most once per
-- cooldown) to one channel. Tenant-keyed, RLS, soft deletes as in 0010. The
-- alerts created in 0012 gain their foreign key to the rule that fired them.
-- depends: 0012_mlops_deployments_monitoring

SET LOCAL lock_timeout = '5s';

CREATE TYPE mlops.notification_channel_type AS ENUM ('email', 'slack', 'webhook', 'pagerduty', 'msteams');
CREATE TYPE mlops.notification_event_type AS ENUM
    ('alert_triggered', 'alert_resolved', 'deployment_succeeded', 'deployment_failed',
     'drift_detected', 'run_finished', 'run_failed', 'model_version_stage_changed');

-- ---------------------------------------------------------------------------
-- mlops.notification_channels
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.notification_channels (
    organization_id  uuid                            NOT NULL,
    id               uuid                            NOT NULL DEFAULT gen_random_uuid(),
    project_id       uuid                            NULL,
    name             text                            NOT NULL,
    channel_type     mlops.notification_channel_type NOT NULL,
    -- Webhook URL, recipients, ...; secrets as references (e.g. a vault path),
    -- never inline.
    config           jsonb                           NOT NULL DEFAULT '{}'::jsonb,
    is_enabled       boolean                         NOT NULL DEFAULT true,
    last_verified_at timestamptz                     NULL,
    created_at       timestamptz                     NOT NULL DEFAULT now(),
    updated_at       timestamptz                     NOT NULL DEFAULT now(),
    created_by       uuid                            NULL,
    updated_by       uuid                            NULL,
    deleted_at       timestamptz                     NULL,
    deleted_by       uuid                            NULL,
    CONSTRAINT notification_channels_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_notification_channels__name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_notification_channels__config_object CHECK (jsonb_typeof(config) = 'object'),
    CONSTRAINT fk_notification_channels__organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_channels__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_channels__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_notification_channels__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_notification_channels__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.notification_channels IS
    'Where notifications go (Slack, e-mail, ...). RLS on organization_id; soft delete.';

-- Also serves fk_notification_channels__organization_id.
CREATE UNIQUE INDEX uq_notification_channels__org_name ON mlops.notification_channels (organization_id, name)
    WHERE deleted_at IS NULL;
CREATE INDEX ix_notification_channels__project_id ON mlops.notification_channels (organization_id, project_id);

CREATE TRIGGER trg_notification_channels__set_updated_at
    BEFORE UPDATE ON mlops.notification_channels
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- mlops.notification_rules
-- ---------------------------------------------------------------------------
CREATE TABLE mlops.notification_rules (
    organization_id   uuid                          NOT NULL,
    id                uuid                          NOT NULL DEFAULT gen_random_uuid(),
    -- NULL: every project of the tenant.
    project_id        uuid                          NULL,
    channel_id        uuid                          NOT NULL,
    name              text                          NOT NULL,
    description       text                          NULL,
    event_type        mlops.notification_event_type NOT NULL,
    -- NULL: any severity.
    min_severity      mlops.alert_severity          NULL,
    conditions        jsonb                         NOT NULL DEFAULT '{}'::jsonb,
    is_enabled        boolean                       NOT NULL DEFAULT true,
    -- Up to 68 years of cooldown is enough.
    -- squawk-ignore prefer-bigint-over-int
    cooldown_seconds  integer                       NOT NULL DEFAULT 0,
    last_triggered_at timestamptz                   NULL,
    created_at        timestamptz                   NOT NULL DEFAULT now(),
    updated_at        timestamptz                   NOT NULL DEFAULT now(),
    created_by        uuid                          NULL,
    updated_by        uuid                          NULL,
    deleted_at        timestamptz                   NULL,
    deleted_by        uuid                          NULL,
    CONSTRAINT notification_rules_pkey PRIMARY KEY (organization_id, id),
    CONSTRAINT ck_notification_rules__name_length CHECK (length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_notification_rules__conditions_object CHECK (jsonb_typeof(conditions) = 'object'),
    CONSTRAINT ck_notification_rules__cooldown_seconds_nonnegative CHECK (cooldown_seconds >= 0),
    CONSTRAINT fk_notification_rules__project_id FOREIGN KEY (organization_id, project_id)
        REFERENCES mlops.projects (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_rules__channel_id FOREIGN KEY (organization_id, channel_id)
        REFERENCES mlops.notification_channels (organization_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_rules__created_by FOREIGN KEY (created_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_notification_rules__updated_by FOREIGN KEY (updated_by) REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT fk_notification_rules__deleted_by FOREIGN KEY (deleted_by) REFERENCES core.users (id) ON DELETE SET NULL
);
COMMENT ON TABLE mlops.notification_rules IS
    'Which events go to which channel (event type, minimum severity, project scope, cooldown). RLS on organization_id; soft delete.';

CREATE UNIQUE INDEX uq_notification_rules__org_name ON mlops.notification_rules (organization_id, name)
    WHERE deleted_at IS NULL;
-- Rule matching (match_notification_rules).
CREATE INDEX ix_notification_rules__org_event ON mlops.notification_rules (organization_id, event_type)
    WHERE is_enabled AND deleted_at IS NULL;
CREATE INDEX ix_notification_rules__channel_id ON mlops.notification_rules (organization_id, channel_id);
CREATE INDEX ix_notification_rules__project_id ON mlops.notification_rules (organization_id, project_id);

CREATE TRIGGER trg_notification_rules__set_updated_at
    BEFORE UPDATE ON mlops.notification_rules
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- alerts.notification_rule_id -> notification_rules. mlops.alerts was created
-- by 0012 and holds no rows referencing a rule yet (the column had nothing to
-- point at), so the constraint is validated at once; on a large alerts table
-- this would be ADD ... NOT VALID + VALIDATE CONSTRAINT.
-- ---------------------------------------------------------------------------
ALTER TABLE mlops.alerts
    -- squawk-ignore adding-foreign-key-constraint, constraint-missing-not-valid
    ADD CONSTRAINT fk_alerts__notification_rule_id FOREIGN KEY (organization_id, notification_rule_id)
        REFERENCES mlops.notification_rules (organization_id, id) ON DELETE SET NULL (notification_rule_id);
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX ix_alerts__notification_rule_id ON mlops.alerts (organization_id, notification_rule_id);

-- ---------------------------------------------------------------------------
-- Tenant isolation (see 0010) and privileges.
-- ---------------------------------------------------------------------------
ALTER TABLE mlops.notification_channels ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.notification_channels FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_notification_channels__tenant ON mlops.notification_channels
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE mlops.notification_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE mlops.notification_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY rls_notification_rules__tenant ON mlops.notification_rules
    USING (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (organization_id = NULLIF(current_setting('app.org_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON mlops.notification_channels, mlops.notification_rules
    TO registry_app;
GRANT SELECT ON mlops.notification_channels, mlops.notification_rules TO registry_readonly;
GRANT ALL PRIVILEGES ON mlops.notification_channels, mlops.notification_rules TO registry_owner;
