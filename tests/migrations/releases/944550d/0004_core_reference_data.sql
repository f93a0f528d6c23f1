-- 0004_core_reference_data: the system roles, the permission catalog and which
-- role holds which permission.
--
-- WHY: the applications check permissions by code (core.user_has_permission),
-- so the codes and the default roles must exist in every installation, before
-- any service starts. They are reference data, not sample data, so they live in
-- a migration (sample users and organizations are in sql/seed/, not here).
-- Roles: the four splunk_ta roles are stated by seed 004; the others are the
-- catalog's proposal (§3.1). Seed 000's is_admin/can_upload/can_search/
-- can_download flags become the model_registry admin/uploader/searcher/
-- downloader roles, each of the last three holding exactly one permission.
-- core.platform_admin holds every permission implicitly (see
-- core.user_has_permission), so it has no role_permissions rows.
-- depends: 0003_core_audit_log

SET LOCAL lock_timeout = '5s';

INSERT INTO core.roles (application, name, description, is_system)
VALUES
    ('core',           'platform_admin',    'Administers the whole platform; implicitly holds every permission.', true),
    ('model_registry', 'admin',             'Model registry administrator (seed 000 is_admin).', true),
    ('model_registry', 'uploader',          'May upload packages (seed 000 can_upload).', true),
    ('model_registry', 'searcher',          'May search packages (seed 000 can_search).', true),
    ('model_registry', 'downloader',        'May download packages (seed 000 can_download).', true),
    ('mlops',          'admin',             'MLOps administrator.', true),
    ('mlops',          'data_scientist',    'Trains and registers models.', true),
    ('mlops',          'ml_engineer',       'Registers models and manages deployments.', true),
    ('mlops',          'viewer',            'Read-only access to models and deployments.', true),
    ('airlock',        'submitter',         'Submits npm packages for review.', true),
    ('airlock',        'reviewer',          'Reviews submissions.', true),
    ('airlock',        'approver',          'Approves workflows.', true),
    ('airlock',        'admin',             'Airlock administrator; manages the license allowlist.', true),
    ('inspection',     'inspector',         'Performs inspections.', true),
    ('inspection',     'quality_engineer',  'Reviews defects and generates reports.', true),
    ('inspection',     'reviewer',          'Reviews defects.', true),
    ('inspection',     'admin',             'Inspection administrator.', true),
    ('splunk_ta',      'requestor',         'Requests Splunk technology add-ons.', true),
    ('splunk_ta',      'approver',          'Approves TA requests.', true),
    ('splunk_ta',      'admin',             'Splunk TA generator administrator.', true),
    ('splunk_ta',      'knowledge_manager', 'Manages the knowledge base documents.', true);

INSERT INTO core.permissions (application, code, description)
VALUES
    ('model_registry', 'model_registry:package:upload',   'Upload a model package.'),
    ('model_registry', 'model_registry:package:search',   'Search model packages.'),
    ('model_registry', 'model_registry:package:download', 'Download a model package.'),
    ('mlops',          'mlops:model:read',                'Read models and model versions.'),
    ('mlops',          'mlops:model:write',               'Create and update models and model versions.'),
    ('mlops',          'mlops:deployment:read',           'Read deployments.'),
    ('mlops',          'mlops:deployment:write',          'Create and update deployments.'),
    ('airlock',        'airlock:submission:create',       'Submit a package.'),
    ('airlock',        'airlock:submission:review',       'Review a submission.'),
    ('airlock',        'airlock:workflow:approve',        'Approve or reject a workflow.'),
    ('airlock',        'airlock:license:manage',          'Manage the license allowlist.'),
    ('inspection',     'inspection:inspection:create',    'Record an inspection.'),
    ('inspection',     'inspection:defect:review',        'Review a detected defect.'),
    ('inspection',     'inspection:report:generate',      'Generate a compliance report.'),
    ('splunk_ta',      'splunk_ta:request:create',        'Create a TA request.'),
    ('splunk_ta',      'splunk_ta:request:approve',       'Approve a TA request.'),
    ('splunk_ta',      'splunk_ta:knowledge:manage',      'Manage knowledge documents.');

-- (application, role name, permission code)
INSERT INTO core.role_permissions (role_id, permission_id)
SELECT r.id, p.id
  FROM (VALUES
        ('model_registry', 'admin',             'model_registry:package:upload'),
        ('model_registry', 'admin',             'model_registry:package:search'),
        ('model_registry', 'admin',             'model_registry:package:download'),
        ('model_registry', 'uploader',          'model_registry:package:upload'),
        ('model_registry', 'searcher',          'model_registry:package:search'),
        ('model_registry', 'downloader',        'model_registry:package:download'),
        ('mlops',          'admin',             'mlops:model:read'),
        ('mlops',          'admin',             'mlops:model:write'),
        ('mlops',          'admin',             'mlops:deployment:read'),
        ('mlops',          'admin',             'mlops:deployment:write'),
        ('mlops',          'data_scientist',    'mlops:model:read'),
        ('mlops',          'data_scientist',    'mlops:model:write'),
        ('mlops',          'data_scientist',    'mlops:deployment:read'),
        ('mlops',          'ml_engineer',       'mlops:model:read'),
        ('mlops',          'ml_engineer',       'mlops:model:write'),
        ('mlops',          'ml_engineer',       'mlops:deployment:read'),
        ('mlops',          'ml_engineer',       'mlops:deployment:write'),
        ('mlops',          'viewer',            'mlops:model:read'),
        ('mlops',          'viewer',            'mlops:deployment:read'),
        ('airlock',        'submitter',         'airlock:submission:create'),
        ('airlock',        'reviewer',          'airlock:submission:review'),
        ('airlock',        'approver',          'airlock:submission:review'),
        ('airlock',        'approver',          'airlock:workflow:approve'),
        ('airlock',        'admin',             'airlock:submission:create'),
        ('airlock',        'admin',             'airlock:submission:review'),
        ('airlock',        'admin',             'airlock:workflow:approve'),
        ('airlock',        'admin',             'airlock:license:manage'),
        ('inspection',     'inspector',         'inspection:inspection:create'),
        ('inspection',     'quality_engineer',  'inspection:inspection:create'),
        ('inspection',     'quality_engineer',  'inspection:defect:review'),
        ('inspection',     'quality_engineer',  'inspection:report:generate'),
        ('inspection',     'reviewer',          'inspection:defect:review'),
        ('inspection',     'admin',             'inspection:inspection:create'),
        ('inspection',     'admin',             'inspection:defect:review'),
        ('inspection',     'admin',             'inspection:report:generate'),
        ('splunk_ta',      'requestor',         'splunk_ta:request:create'),
        ('splunk_ta',      'approver',          'splunk_ta:request:approve'),
        ('splunk_ta',      'knowledge_manager', 'splunk_ta:knowledge:manage'),
        ('splunk_ta',      'admin',             'splunk_ta:request:create'),
        ('splunk_ta',      'admin',             'splunk_ta:request:approve'),
        ('splunk_ta',      'admin',             'splunk_ta:knowledge:manage')
       ) AS g (application, role_name, code)
  JOIN core.roles r ON r.application = g.application::core.application AND r.name = g.role_name
  JOIN core.permissions p ON p.code = g.code;
