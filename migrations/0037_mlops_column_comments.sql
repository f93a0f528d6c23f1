-- 0037_mlops_column_comments: COMMENT ON COLUMN for every column of schema mlops that had none.
--
-- WHY: the generated schema reference (`registry-sql docs`, docs/schema/mlops.md) and
-- psql's \d+ show these comments to DBAs and reviewers; issue 16 asks for a comment on every
-- table and every non-obvious column. Comments only: no lock beyond a brief one per table,
-- no data touched. The released migrations 0001-0013 stay as they were (checksums).
-- depends: 0036_model_registry_column_comments

SET LOCAL lock_timeout = '5s';

-- mlops.alerts
COMMENT ON COLUMN mlops.alerts.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_alerts__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.alerts.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.alerts.project_id IS
    'The project concerned, if any.';
COMMENT ON COLUMN mlops.alerts.deployment_id IS
    'The deployment concerned, if any.';
COMMENT ON COLUMN mlops.alerts.data_drift_report_id IS
    'The drift report that raised the alert, if any.';
COMMENT ON COLUMN mlops.alerts.notification_rule_id IS
    'The notification rule that fired, if any.';
COMMENT ON COLUMN mlops.alerts.alert_type IS
    'What kind of problem.';
COMMENT ON COLUMN mlops.alerts.severity IS
    'How serious (ordered enum).';
COMMENT ON COLUMN mlops.alerts.status IS
    'open, acknowledged, resolved or suppressed.';
COMMENT ON COLUMN mlops.alerts.title IS
    'One-line summary.';
COMMENT ON COLUMN mlops.alerts.message IS
    'Longer text; optional.';
COMMENT ON COLUMN mlops.alerts.details IS
    'Further details, as a JSON object.';
COMMENT ON COLUMN mlops.alerts.triggered_at IS
    'When the alert was raised.';
COMMENT ON COLUMN mlops.alerts.acknowledged_at IS
    'When someone acknowledged it.';
COMMENT ON COLUMN mlops.alerts.acknowledged_by IS
    'Who acknowledged it.';
COMMENT ON COLUMN mlops.alerts.resolved_at IS
    'When it was resolved.';
COMMENT ON COLUMN mlops.alerts.resolved_by IS
    'Who resolved it.';
COMMENT ON COLUMN mlops.alerts.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.alerts.updated_at IS
    'When the row last changed; kept current by the trg_alerts__set_updated_at trigger.';
COMMENT ON COLUMN mlops.alerts.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.alerts.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.alerts.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.alerts.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.data_drift_reports
COMMENT ON COLUMN mlops.data_drift_reports.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_data_drift_reports__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.data_drift_reports.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.data_drift_reports.deployment_id IS
    'The deployment checked (mlops.deployments).';
COMMENT ON COLUMN mlops.data_drift_reports.model_version_id IS
    'The model version checked.';
COMMENT ON COLUMN mlops.data_drift_reports.reference_start IS
    'Start of the reference window.';
COMMENT ON COLUMN mlops.data_drift_reports.reference_end IS
    'End of the reference window.';
COMMENT ON COLUMN mlops.data_drift_reports.current_start IS
    'Start of the compared window.';
COMMENT ON COLUMN mlops.data_drift_reports.current_end IS
    'End of the compared window.';
COMMENT ON COLUMN mlops.data_drift_reports.method IS
    'Statistical method (e.g. psi, ks); open vocabulary.';
COMMENT ON COLUMN mlops.data_drift_reports.drift_detected IS
    'TRUE when drift_score crossed threshold.';
COMMENT ON COLUMN mlops.data_drift_reports.drift_score IS
    'Overall drift score.';
COMMENT ON COLUMN mlops.data_drift_reports.threshold IS
    'Score above which drift is reported.';
COMMENT ON COLUMN mlops.data_drift_reports.feature_results IS
    'Per-feature results, as a JSON object.';
COMMENT ON COLUMN mlops.data_drift_reports.report_uri IS
    'Where the full report is stored (URI).';
COMMENT ON COLUMN mlops.data_drift_reports.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.data_drift_reports.updated_at IS
    'When the row last changed; kept current by the trg_data_drift_reports__set_updated_at trigger.';
COMMENT ON COLUMN mlops.data_drift_reports.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.data_drift_reports.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.data_drift_reports.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.data_drift_reports.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.deployment_history
COMMENT ON COLUMN mlops.deployment_history.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_deployment_history__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.deployment_history.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.deployment_history.deployment_id IS
    'The deployment (mlops.deployments).';
COMMENT ON COLUMN mlops.deployment_history.action IS
    'What was done.';
COMMENT ON COLUMN mlops.deployment_history.from_model_version_id IS
    'Model version served before the action.';
COMMENT ON COLUMN mlops.deployment_history.to_model_version_id IS
    'Model version served after it.';
COMMENT ON COLUMN mlops.deployment_history.previous_status IS
    'Status before the action.';
COMMENT ON COLUMN mlops.deployment_history.new_status IS
    'Status after it.';
COMMENT ON COLUMN mlops.deployment_history.config_snapshot IS
    'The deployment''s configuration at that moment, as JSON.';
COMMENT ON COLUMN mlops.deployment_history.notes IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.deployment_history.performed_by IS
    'User who performed the action (core.users.id).';
COMMENT ON COLUMN mlops.deployment_history.created_at IS
    'When the row was inserted (default now()).';

-- mlops.deployments
COMMENT ON COLUMN mlops.deployments.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_deployments__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.deployments.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.deployments.project_id IS
    'The project (mlops.projects).';
COMMENT ON COLUMN mlops.deployments.model_version_id IS
    'The model version served (mlops.model_versions).';
COMMENT ON COLUMN mlops.deployments.name IS
    'Deployment name, unique per project and environment among live deployments.';
COMMENT ON COLUMN mlops.deployments.description IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.deployments.environment IS
    'Target environment (development, staging, production).';
COMMENT ON COLUMN mlops.deployments.status IS
    'Lifecycle state of the deployment.';
COMMENT ON COLUMN mlops.deployments.endpoint_url IS
    'URL the deployment serves at.';
COMMENT ON COLUMN mlops.deployments.replicas IS
    'Number of serving replicas.';
COMMENT ON COLUMN mlops.deployments.resources IS
    'Resource requests/limits, as a JSON object.';
COMMENT ON COLUMN mlops.deployments.config IS
    'Serving configuration, as a JSON object.';
COMMENT ON COLUMN mlops.deployments.traffic_percent IS
    'Share of the traffic routed to this deployment, 0 to 100.';
COMMENT ON COLUMN mlops.deployments.deployed_at IS
    'When the deployment last moved to running (stamped by update_deployment_status); NULL if it never ran.';
COMMENT ON COLUMN mlops.deployments.deployed_by IS
    'User who last moved it to running.';
COMMENT ON COLUMN mlops.deployments.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.deployments.updated_at IS
    'When the row last changed; kept current by the trg_deployments__set_updated_at trigger.';
COMMENT ON COLUMN mlops.deployments.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.deployments.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.deployments.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.deployments.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.experiment_runs
COMMENT ON COLUMN mlops.experiment_runs.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_experiment_runs__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.experiment_runs.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.experiment_runs.experiment_id IS
    'The experiment the run belongs to (mlops.experiments).';
COMMENT ON COLUMN mlops.experiment_runs.name IS
    'Run name; optional.';
COMMENT ON COLUMN mlops.experiment_runs.status IS
    'Lifecycle state of the run.';
COMMENT ON COLUMN mlops.experiment_runs.started_at IS
    'When the run started.';
COMMENT ON COLUMN mlops.experiment_runs.ended_at IS
    'When the run ended; NULL while it runs.';
COMMENT ON COLUMN mlops.experiment_runs.params IS
    'Hyper-parameters, as a JSON object; a parameter once logged is not overwritten (trigger).';
COMMENT ON COLUMN mlops.experiment_runs.tags IS
    'Tags, as a JSON object.';
COMMENT ON COLUMN mlops.experiment_runs.artifact_uri IS
    'Where the run''s artifacts are stored (URI).';
COMMENT ON COLUMN mlops.experiment_runs.source_version IS
    'Version of the training code (e.g. a git commit).';
COMMENT ON COLUMN mlops.experiment_runs.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.experiment_runs.updated_at IS
    'When the row last changed; kept current by the trg_experiment_runs__set_updated_at trigger.';
COMMENT ON COLUMN mlops.experiment_runs.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.experiment_runs.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.experiment_runs.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.experiment_runs.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.experiments
COMMENT ON COLUMN mlops.experiments.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_experiments__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.experiments.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.experiments.project_id IS
    'The project (mlops.projects).';
COMMENT ON COLUMN mlops.experiments.model_id IS
    'The model the experiment trains, if any (mlops.models).';
COMMENT ON COLUMN mlops.experiments.name IS
    'Experiment name, unique per project among live experiments.';
COMMENT ON COLUMN mlops.experiments.description IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.experiments.config IS
    'Experiment configuration, as a JSON object.';
COMMENT ON COLUMN mlops.experiments.status IS
    'Lifecycle state of the experiment.';
COMMENT ON COLUMN mlops.experiments.artifact_location IS
    'Where the experiment''s artifacts are stored (URI).';
COMMENT ON COLUMN mlops.experiments.tags IS
    'Tags, as a JSON object.';
COMMENT ON COLUMN mlops.experiments.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.experiments.updated_at IS
    'When the row last changed; kept current by the trg_experiments__set_updated_at trigger.';
COMMENT ON COLUMN mlops.experiments.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.experiments.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.experiments.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.experiments.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.model_monitoring
COMMENT ON COLUMN mlops.model_monitoring.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_model_monitoring__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.model_monitoring.id IS
    'Sample id (with recorded_at, part of the primary key of this time-partitioned table).';
COMMENT ON COLUMN mlops.model_monitoring.deployment_id IS
    'The deployment measured (mlops.deployments).';
COMMENT ON COLUMN mlops.model_monitoring.model_version_id IS
    'The model version it served.';
COMMENT ON COLUMN mlops.model_monitoring.recorded_at IS
    'End of the measured window: the partitioning (time) column.';
COMMENT ON COLUMN mlops.model_monitoring.window_seconds IS
    'Length of the measured window in seconds.';
COMMENT ON COLUMN mlops.model_monitoring.request_count IS
    'Requests in the window.';
COMMENT ON COLUMN mlops.model_monitoring.error_count IS
    'Failed requests in the window.';
COMMENT ON COLUMN mlops.model_monitoring.latency_p50_ms IS
    'Median latency in milliseconds.';
COMMENT ON COLUMN mlops.model_monitoring.latency_p95_ms IS
    '95th percentile latency in milliseconds.';
COMMENT ON COLUMN mlops.model_monitoring.latency_p99_ms IS
    '99th percentile latency in milliseconds.';
COMMENT ON COLUMN mlops.model_monitoring.throughput_rps IS
    'Requests per second.';
COMMENT ON COLUMN mlops.model_monitoring.accuracy IS
    'Measured accuracy, where labels are available.';
COMMENT ON COLUMN mlops.model_monitoring.custom_metrics IS
    'Further metrics, as a JSON object.';

-- mlops.model_versions
COMMENT ON COLUMN mlops.model_versions.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_model_versions__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.model_versions.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.model_versions.model_id IS
    'The model (mlops.models).';
COMMENT ON COLUMN mlops.model_versions.version IS
    'Version number, 1, 2, ... per model (mlops.next_model_version()).';
COMMENT ON COLUMN mlops.model_versions.version_label IS
    'Human label for the version (e.g. v2.1-rc); optional.';
COMMENT ON COLUMN mlops.model_versions.description IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.model_versions.stage IS
    'Promotion stage; at most one live version per model is in production.';
COMMENT ON COLUMN mlops.model_versions.status IS
    'Registration state of the version.';
COMMENT ON COLUMN mlops.model_versions.artifact_uri IS
    'Where the model artifact is stored (URI).';
COMMENT ON COLUMN mlops.model_versions.artifact_size_bytes IS
    'Size of the artifact in bytes.';
COMMENT ON COLUMN mlops.model_versions.checksum_sha256 IS
    'SHA-256 of the artifact (hex).';
COMMENT ON COLUMN mlops.model_versions.source_run_id IS
    'The run that produced the version, if any (mlops.experiment_runs).';
COMMENT ON COLUMN mlops.model_versions.metrics IS
    'Evaluation metrics, as a JSON object.';
COMMENT ON COLUMN mlops.model_versions.signature IS
    'Model input/output signature, as JSON.';
COMMENT ON COLUMN mlops.model_versions.stage_changed_at IS
    'When stage last changed.';
COMMENT ON COLUMN mlops.model_versions.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.model_versions.updated_at IS
    'When the row last changed; kept current by the trg_model_versions__set_updated_at trigger.';
COMMENT ON COLUMN mlops.model_versions.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.model_versions.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.model_versions.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.model_versions.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.models
COMMENT ON COLUMN mlops.models.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_models__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.models.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.models.project_id IS
    'The project the model belongs to (mlops.projects).';
COMMENT ON COLUMN mlops.models.name IS
    'Model name, unique per project among live models.';
COMMENT ON COLUMN mlops.models.description IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.models.framework IS
    'ML framework (e.g. pytorch, sklearn); open vocabulary.';
COMMENT ON COLUMN mlops.models.task_type IS
    'Task the model solves (e.g. classification); open vocabulary.';
COMMENT ON COLUMN mlops.models.tags IS
    'Search tags (GIN-indexed).';
COMMENT ON COLUMN mlops.models.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.models.updated_at IS
    'When the row last changed; kept current by the trg_models__set_updated_at trigger.';
COMMENT ON COLUMN mlops.models.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.models.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.models.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.models.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.notification_channels
COMMENT ON COLUMN mlops.notification_channels.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_notification_channels__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.notification_channels.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.notification_channels.project_id IS
    'Project the channel is limited to; NULL: organization-wide.';
COMMENT ON COLUMN mlops.notification_channels.name IS
    'Channel name, unique per organization among live channels.';
COMMENT ON COLUMN mlops.notification_channels.channel_type IS
    'Delivery mechanism.';
COMMENT ON COLUMN mlops.notification_channels.config IS
    'Delivery settings (URL, recipients), as a JSON object; secrets only as references, never inline.';
COMMENT ON COLUMN mlops.notification_channels.is_enabled IS
    'FALSE pauses delivery.';
COMMENT ON COLUMN mlops.notification_channels.last_verified_at IS
    'Last successful test delivery.';
COMMENT ON COLUMN mlops.notification_channels.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.notification_channels.updated_at IS
    'When the row last changed; kept current by the trg_notification_channels__set_updated_at trigger.';
COMMENT ON COLUMN mlops.notification_channels.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.notification_channels.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.notification_channels.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.notification_channels.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.notification_rules
COMMENT ON COLUMN mlops.notification_rules.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_notification_rules__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.notification_rules.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.notification_rules.project_id IS
    'Project the rule is limited to; NULL: organization-wide.';
COMMENT ON COLUMN mlops.notification_rules.channel_id IS
    'Channel the rule sends to (mlops.notification_channels).';
COMMENT ON COLUMN mlops.notification_rules.name IS
    'Rule name, unique per organization among live rules.';
COMMENT ON COLUMN mlops.notification_rules.description IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.notification_rules.event_type IS
    'Event that fires the rule.';
COMMENT ON COLUMN mlops.notification_rules.min_severity IS
    'Only alerts at or above this severity; NULL: any.';
COMMENT ON COLUMN mlops.notification_rules.conditions IS
    'Further conditions on the event, as a JSON object.';
COMMENT ON COLUMN mlops.notification_rules.is_enabled IS
    'FALSE pauses the rule.';
COMMENT ON COLUMN mlops.notification_rules.cooldown_seconds IS
    'The rule fires at most once per this many seconds.';
COMMENT ON COLUMN mlops.notification_rules.last_triggered_at IS
    'When the rule last fired.';
COMMENT ON COLUMN mlops.notification_rules.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.notification_rules.updated_at IS
    'When the row last changed; kept current by the trg_notification_rules__set_updated_at trigger.';
COMMENT ON COLUMN mlops.notification_rules.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.notification_rules.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.notification_rules.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.notification_rules.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.project_members
COMMENT ON COLUMN mlops.project_members.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_project_members__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.project_members.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.project_members.project_id IS
    'The project (mlops.projects).';
COMMENT ON COLUMN mlops.project_members.user_id IS
    'The member (core.users.id).';
COMMENT ON COLUMN mlops.project_members.role IS
    'The member''s role in the project.';
COMMENT ON COLUMN mlops.project_members.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.project_members.updated_at IS
    'When the row last changed; kept current by the trg_project_members__set_updated_at trigger.';
COMMENT ON COLUMN mlops.project_members.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.project_members.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.project_members.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.project_members.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.projects
COMMENT ON COLUMN mlops.projects.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_projects__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.projects.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN mlops.projects.name IS
    'Display name.';
COMMENT ON COLUMN mlops.projects.slug IS
    'URL-safe short name, unique per organization among live projects.';
COMMENT ON COLUMN mlops.projects.description IS
    'Free text; optional.';
COMMENT ON COLUMN mlops.projects.settings IS
    'Project settings, as a JSON object.';
COMMENT ON COLUMN mlops.projects.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN mlops.projects.updated_at IS
    'When the row last changed; kept current by the trg_projects__set_updated_at trigger.';
COMMENT ON COLUMN mlops.projects.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN mlops.projects.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN mlops.projects.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN mlops.projects.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- mlops.run_metrics
COMMENT ON COLUMN mlops.run_metrics.organization_id IS
    'Tenant: the owning organization (core.organizations.id). Leads every key; the row-level security policy rls_run_metrics__tenant shows only rows of the organization set in app.org_id.';
COMMENT ON COLUMN mlops.run_metrics.run_id IS
    'The run (mlops.experiment_runs).';
COMMENT ON COLUMN mlops.run_metrics.metric_name IS
    'Metric name (e.g. loss).';
COMMENT ON COLUMN mlops.run_metrics.value IS
    'Metric value.';
COMMENT ON COLUMN mlops.run_metrics.step IS
    'Training step the value belongs to.';
COMMENT ON COLUMN mlops.run_metrics.recorded_at IS
    'When the value was recorded: the partitioning (time) column.';

-- mlops.run_metrics_ingest
COMMENT ON COLUMN mlops.run_metrics_ingest.organization_id IS
    'Tenant of the run (as mlops.run_metrics.organization_id).';
COMMENT ON COLUMN mlops.run_metrics_ingest.run_id IS
    'The run.';
COMMENT ON COLUMN mlops.run_metrics_ingest.metric_name IS
    'Metric name.';
COMMENT ON COLUMN mlops.run_metrics_ingest.value IS
    'Metric value.';
COMMENT ON COLUMN mlops.run_metrics_ingest.step IS
    'Training step.';
COMMENT ON COLUMN mlops.run_metrics_ingest.recorded_at IS
    'When the value was recorded.';
