-- Rollback of 0002_core_tables.
--
-- WHY: removes the core identity and RBAC tables, their enums and
-- core.user_has_permission(). Indexes, constraints, triggers and grants go with
-- their tables. Drop order: dependants first (no CASCADE, so a forgotten
-- dependency fails loudly instead of silently removing someone else's object).

-- A rollback consists of drops by definition; squawk's ban-drop-* rules are
-- for forward migrations and stay active there.
-- squawk-ignore-file ban-drop-function, ban-drop-table, ban-drop-type

SET LOCAL lock_timeout = '5s';

DROP FUNCTION core.user_has_permission(uuid, text, uuid);

DROP TABLE core.auth_tokens;
DROP TABLE core.api_keys;
DROP TABLE core.user_roles;
DROP TABLE core.role_permissions;
DROP TABLE core.permissions;
DROP TABLE core.roles;
DROP TABLE core.organization_memberships;
DROP TABLE core.user_identities;
DROP TABLE core.organizations;
DROP TABLE core.users;

DROP TYPE core.event_level;
DROP TYPE core.audit_action;
DROP TYPE core.actor_type;
DROP TYPE core.token_type;
DROP TYPE core.org_role;
DROP TYPE core.auth_provider;
DROP TYPE core.application;
