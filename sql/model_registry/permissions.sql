/*
  model_registry.v_user_permissions: seed 000's permissions row (can_upload,
  can_search, can_download) and users.is_admin, recreated from core role
  grants. Read-only: grant and revoke through core.grant_role_by_name /
  core.revoke_role (roles model_registry admin/uploader/searcher/downloader).
*/

-- name: get_user_permissions(user_id)^
-- record_class: UserPermissionsRow
-- Get a live user's seed-000 permission flags (is_admin, can_upload, can_search, can_download).
SELECT
    user_id AS "user_id!",
    username AS "username!",
    email AS "email!",
    is_admin AS "is_admin!",
    can_upload AS "can_upload!",
    can_search AS "can_search!",
    can_download AS "can_download!"
FROM model_registry.v_user_permissions
WHERE user_id = :user_id;
