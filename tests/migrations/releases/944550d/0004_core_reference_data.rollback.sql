-- Rollback of 0004_core_reference_data.
--
-- WHY: removes the seeded roles and permissions (their role_permissions rows go
-- with them by ON DELETE CASCADE). core.user_roles also cascades from
-- core.roles, so deleting a seeded role would silently take away users' grants:
-- the rollback refuses while any user holds a seeded role.

SET LOCAL lock_timeout = '5s';

DO $guard$
DECLARE
    v_count bigint;
BEGIN
    SELECT count(*) INTO v_count
      FROM core.user_roles ur
      JOIN core.roles r ON r.id = ur.role_id
     WHERE r.is_system;
    IF v_count > 0 THEN
        RAISE EXCEPTION 'cannot roll back 0004_core_reference_data: % user role grant(s) reference seeded system roles', v_count
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Delete those rows from core.user_roles first (they would otherwise be removed by ON DELETE CASCADE).';
    END IF;
END
$guard$;

DELETE FROM core.permissions
 WHERE code IN (
    'model_registry:package:upload', 'model_registry:package:search', 'model_registry:package:download',
    'mlops:model:read', 'mlops:model:write', 'mlops:deployment:read', 'mlops:deployment:write',
    'airlock:submission:create', 'airlock:submission:review', 'airlock:workflow:approve',
    'airlock:license:manage',
    'inspection:inspection:create', 'inspection:defect:review', 'inspection:report:generate',
    'splunk_ta:request:create', 'splunk_ta:request:approve', 'splunk_ta:knowledge:manage');

DELETE FROM core.roles r
 USING (VALUES
        ('core', 'platform_admin'),
        ('model_registry', 'admin'), ('model_registry', 'uploader'),
        ('model_registry', 'searcher'), ('model_registry', 'downloader'),
        ('mlops', 'admin'), ('mlops', 'data_scientist'), ('mlops', 'ml_engineer'), ('mlops', 'viewer'),
        ('airlock', 'submitter'), ('airlock', 'reviewer'), ('airlock', 'approver'), ('airlock', 'admin'),
        ('inspection', 'inspector'), ('inspection', 'quality_engineer'),
        ('inspection', 'reviewer'), ('inspection', 'admin'),
        ('splunk_ta', 'requestor'), ('splunk_ta', 'approver'),
        ('splunk_ta', 'admin'), ('splunk_ta', 'knowledge_manager')
       ) AS s (application, name)
 WHERE r.application = s.application::core.application
   AND r.name = s.name;
