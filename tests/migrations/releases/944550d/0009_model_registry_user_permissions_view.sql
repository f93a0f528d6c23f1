-- 0009_model_registry_user_permissions_view: the compatibility view
-- model_registry.v_user_permissions (catalog §3.1 "Core views").
--
-- WHY: seed 000 had a `permissions` row per user (can_upload, can_search,
-- can_download) and users.is_admin. Both became role grants in core
-- (model_registry admin/uploader/searcher/downloader roles, catalog §3.2).
-- This read-only view recreates the old row shape from the grants, so code and
-- reports written against seed 000 keep working. The flags are computed by
-- core.user_has_permission (global grants; core.platform_admin holds all), so
-- the view and the service's authorization checks never disagree.
-- depends: 0008_model_registry_health_metrics

SET LOCAL lock_timeout = '5s';

CREATE VIEW model_registry.v_user_permissions AS
SELECT
    u.id       AS user_id,
    u.username AS username,
    u.email    AS email,
    EXISTS (
        SELECT 1
          FROM core.user_roles ur
          JOIN core.roles r ON r.id = ur.role_id
         WHERE ur.user_id = u.id
           AND ur.organization_id IS NULL
           AND ((r.application = 'model_registry' AND r.name = 'admin')
                OR (r.application = 'core' AND r.name = 'platform_admin'))
    ) AND u.is_active AS is_admin,
    core.user_has_permission(u.id, 'model_registry:package:upload')   AS can_upload,
    core.user_has_permission(u.id, 'model_registry:package:search')   AS can_search,
    core.user_has_permission(u.id, 'model_registry:package:download') AS can_download
FROM core.users u
WHERE u.deleted_at IS NULL;

COMMENT ON VIEW model_registry.v_user_permissions IS
    'Seed 000 compatibility: one row per live user with is_admin and the can_upload/can_search/can_download flags derived from global model_registry role grants. Read-only.';

GRANT SELECT ON model_registry.v_user_permissions TO registry_app, registry_readonly, registry_owner;
