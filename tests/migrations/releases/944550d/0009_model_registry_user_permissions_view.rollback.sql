-- Rollback of 0009_model_registry_user_permissions_view.
--
-- WHY: removes the seed 000 compatibility view (no data is stored in it).

-- A rollback consists of drops by definition.
-- squawk-ignore-file ban-drop-view

SET LOCAL lock_timeout = '5s';

DROP VIEW model_registry.v_user_permissions;
