-- 0035_core_column_comments: COMMENT ON COLUMN for every column of schema core that had none.
--
-- WHY: the generated schema reference (`registry-sql docs`, docs/schema/core.md) and
-- psql's \d+ show these comments to DBAs and reviewers; issue 16 asks for a comment on every
-- table and every non-obvious column. Comments only: no lock beyond a brief one per table,
-- no data touched. The released migrations 0001-0013 stay as they were (checksums).
-- depends: 0013_mlops_notifications

SET LOCAL lock_timeout = '5s';

-- core.api_keys
COMMENT ON COLUMN core.api_keys.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.api_keys.application IS
    'Application the key is valid for.';
COMMENT ON COLUMN core.api_keys.name IS
    'Label chosen by the owner.';
COMMENT ON COLUMN core.api_keys.key_prefix IS
    'First characters of the key, shown to the owner to tell keys apart; never enough to use it.';
COMMENT ON COLUMN core.api_keys.key_hash IS
    'SHA-256 of the key (hex); the key itself is never stored.';
COMMENT ON COLUMN core.api_keys.user_id IS
    'The user the key acts for (core.users.id); NULL for a service key with no owner.';
COMMENT ON COLUMN core.api_keys.organization_id IS
    'Organization the key is limited to (core.organizations.id); NULL: not limited to one.';
COMMENT ON COLUMN core.api_keys.scopes IS
    'Scopes the key is limited to.';
COMMENT ON COLUMN core.api_keys.permissions IS
    'Permissions granted to the key, as JSON.';
COMMENT ON COLUMN core.api_keys.expires_at IS
    'After this instant the key is refused; NULL: no expiry.';
COMMENT ON COLUMN core.api_keys.last_used_at IS
    'Last time the key was accepted.';
COMMENT ON COLUMN core.api_keys.last_used_ip IS
    'Client address of that last use.';
COMMENT ON COLUMN core.api_keys.revoked_at IS
    'When the key was revoked; a revoked key is refused.';
COMMENT ON COLUMN core.api_keys.revoked_by IS
    'User who revoked it.';
COMMENT ON COLUMN core.api_keys.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN core.api_keys.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN core.api_keys.updated_at IS
    'When the row last changed; kept current by the trg_api_keys__set_updated_at trigger.';

-- core.audit_log
COMMENT ON COLUMN core.audit_log.id IS
    'Event id (with occurred_at, the primary key of this time-partitioned table).';
COMMENT ON COLUMN core.audit_log.occurred_at IS
    'When the event happened: the partitioning (time) column.';
COMMENT ON COLUMN core.audit_log.application IS
    'Application that recorded the event.';
COMMENT ON COLUMN core.audit_log.organization_id IS
    'Organization the event belongs to; a snapshot, deliberately no foreign key (the log outlives what it describes).';
COMMENT ON COLUMN core.audit_log.actor_type IS
    'Who acted: a user, an API key, the system.';
COMMENT ON COLUMN core.audit_log.actor_username IS
    'Snapshot of the acting user''s name.';
COMMENT ON COLUMN core.audit_log.actor_api_key_id IS
    'Snapshot of the API key used; no foreign key.';
COMMENT ON COLUMN core.audit_log.action IS
    'What was done.';
COMMENT ON COLUMN core.audit_log.event_level IS
    'Severity of the event.';
COMMENT ON COLUMN core.audit_log.entity_type IS
    'Kind of object acted on (e.g. a table name).';
COMMENT ON COLUMN core.audit_log.entity_id IS
    'Id of the object acted on, as text.';
COMMENT ON COLUMN core.audit_log.old_values IS
    'Values before the change (JSON object); NULL for creations.';
COMMENT ON COLUMN core.audit_log.new_values IS
    'Values after the change (JSON object); NULL for deletions.';
COMMENT ON COLUMN core.audit_log.changed_fields IS
    'Names of the fields that changed.';
COMMENT ON COLUMN core.audit_log.details IS
    'Further details, as JSON.';
COMMENT ON COLUMN core.audit_log.correlation_id IS
    'Request/trace id that ties events of one operation together.';
COMMENT ON COLUMN core.audit_log.session_id IS
    'Session of the actor.';
COMMENT ON COLUMN core.audit_log.ip_address IS
    'Client address.';
COMMENT ON COLUMN core.audit_log.user_agent IS
    'Client user agent.';

-- core.auth_tokens
COMMENT ON COLUMN core.auth_tokens.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.auth_tokens.user_id IS
    'The user the token was issued to (core.users.id).';
COMMENT ON COLUMN core.auth_tokens.application IS
    'Application the token is valid for.';
COMMENT ON COLUMN core.auth_tokens.token_type IS
    'Kind of token (access, refresh, ...).';
COMMENT ON COLUMN core.auth_tokens.jti IS
    'The token''s unique id (JWT jti claim).';
COMMENT ON COLUMN core.auth_tokens.token_hash IS
    'SHA-256 of the token (hex); the token itself is never stored.';
COMMENT ON COLUMN core.auth_tokens.issued_at IS
    'When the token was issued.';
COMMENT ON COLUMN core.auth_tokens.expires_at IS
    'After this instant the token is refused.';
COMMENT ON COLUMN core.auth_tokens.revoked_at IS
    'When the token was revoked; NULL while valid.';
COMMENT ON COLUMN core.auth_tokens.revoked_reason IS
    'Why it was revoked.';
COMMENT ON COLUMN core.auth_tokens.last_used_at IS
    'Last time the token was accepted.';
COMMENT ON COLUMN core.auth_tokens.usage_count IS
    'How many times the token was accepted.';
COMMENT ON COLUMN core.auth_tokens.max_uses IS
    'Accepted at most this many times; NULL: no limit.';
COMMENT ON COLUMN core.auth_tokens.ip_address IS
    'Client address the token was issued to.';
COMMENT ON COLUMN core.auth_tokens.user_agent IS
    'Client user agent the token was issued to.';

-- core.organization_memberships
COMMENT ON COLUMN core.organization_memberships.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.organization_memberships.organization_id IS
    'The organization (core.organizations.id).';
COMMENT ON COLUMN core.organization_memberships.user_id IS
    'The member (core.users.id).';
COMMENT ON COLUMN core.organization_memberships.role IS
    'The member''s role in the organization.';
COMMENT ON COLUMN core.organization_memberships.invited_by IS
    'User who invited the member; NULL when unknown or deleted.';
COMMENT ON COLUMN core.organization_memberships.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN core.organization_memberships.updated_at IS
    'When the row last changed; kept current by the trg_organization_memberships__set_updated_at trigger.';
COMMENT ON COLUMN core.organization_memberships.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN core.organization_memberships.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN core.organization_memberships.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN core.organization_memberships.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- core.organizations
COMMENT ON COLUMN core.organizations.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.organizations.name IS
    'Display name.';
COMMENT ON COLUMN core.organizations.slug IS
    'URL-safe short name, unique among live organizations.';
COMMENT ON COLUMN core.organizations.description IS
    'Free text; optional.';
COMMENT ON COLUMN core.organizations.settings IS
    'Organization settings as a JSON object.';
COMMENT ON COLUMN core.organizations.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN core.organizations.updated_at IS
    'When the row last changed; kept current by the trg_organizations__set_updated_at trigger.';
COMMENT ON COLUMN core.organizations.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN core.organizations.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN core.organizations.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN core.organizations.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';

-- core.partitioned_tables
COMMENT ON COLUMN core.partitioned_tables.parent IS
    'A natively partitioned time-series table that core.maintain_partitions() manages.';
COMMENT ON COLUMN core.partitioned_tables.partition_interval IS
    'Time span of one partition.';
COMMENT ON COLUMN core.partitioned_tables.premake IS
    'How many partitions to keep created ahead of now.';
COMMENT ON COLUMN core.partitioned_tables.retention IS
    'Partitions entirely older than this are dropped; NULL: kept forever.';

-- core.permissions
COMMENT ON COLUMN core.permissions.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.permissions.application IS
    'Application the permission belongs to.';
COMMENT ON COLUMN core.permissions.code IS
    'Permission code checked by core.user_has_permission(), e.g. model_registry:package:download.';
COMMENT ON COLUMN core.permissions.description IS
    'What the permission allows.';
COMMENT ON COLUMN core.permissions.created_at IS
    'When the row was inserted (default now()).';

-- core.role_permissions
COMMENT ON COLUMN core.role_permissions.role_id IS
    'The role (core.roles.id).';
COMMENT ON COLUMN core.role_permissions.permission_id IS
    'The permission it grants (core.permissions.id).';
COMMENT ON COLUMN core.role_permissions.created_at IS
    'When the row was inserted (default now()).';

-- core.roles
COMMENT ON COLUMN core.roles.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.roles.application IS
    'Application the role belongs to.';
COMMENT ON COLUMN core.roles.name IS
    'Role name, unique per application.';
COMMENT ON COLUMN core.roles.description IS
    'What the role is for.';
COMMENT ON COLUMN core.roles.is_system IS
    'TRUE for roles created by the migrations (reference data).';
COMMENT ON COLUMN core.roles.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN core.roles.updated_at IS
    'When the row last changed; kept current by the trg_roles__set_updated_at trigger.';

-- core.user_identities
COMMENT ON COLUMN core.user_identities.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.user_identities.user_id IS
    'The user this external identity signs in as (core.users.id).';
COMMENT ON COLUMN core.user_identities.provider IS
    'Identity provider kind.';
COMMENT ON COLUMN core.user_identities.issuer IS
    'The provider''s issuer (e.g. the OIDC iss claim).';
COMMENT ON COLUMN core.user_identities.subject IS
    'The user''s id at the issuer (e.g. the OIDC sub claim); unique per provider and issuer.';
COMMENT ON COLUMN core.user_identities.email IS
    'E-mail address the provider reported; informational.';
COMMENT ON COLUMN core.user_identities.claims IS
    'Last claims received from the provider, as a JSON object.';
COMMENT ON COLUMN core.user_identities.last_login_at IS
    'Last sign-in through this identity.';
COMMENT ON COLUMN core.user_identities.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN core.user_identities.updated_at IS
    'When the row last changed; kept current by the trg_user_identities__set_updated_at trigger.';

-- core.user_roles
COMMENT ON COLUMN core.user_roles.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.user_roles.user_id IS
    'The user (core.users.id).';
COMMENT ON COLUMN core.user_roles.role_id IS
    'The role granted (core.roles.id).';
COMMENT ON COLUMN core.user_roles.organization_id IS
    'Organization the grant is scoped to (core.organizations.id); NULL: the grant applies in every organization.';
COMMENT ON COLUMN core.user_roles.granted_by IS
    'User who granted the role; NULL when unknown or deleted.';
COMMENT ON COLUMN core.user_roles.created_at IS
    'When the row was inserted (default now()).';

-- core.users
COMMENT ON COLUMN core.users.id IS
    'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN core.users.username IS
    'Login name, unique among live users (case-insensitively).';
COMMENT ON COLUMN core.users.email IS
    'E-mail address, unique among live users (case-insensitively).';
COMMENT ON COLUMN core.users.full_name IS
    'Display name; optional.';
COMMENT ON COLUMN core.users.auth_provider IS
    'How the user signs in: local password or an identity provider (see core.user_identities for the external subject).';
COMMENT ON COLUMN core.users.is_active IS
    'FALSE disables sign-in without deleting the user.';
COMMENT ON COLUMN core.users.last_login_at IS
    'Last successful sign-in; NULL if never.';
COMMENT ON COLUMN core.users.created_at IS
    'When the row was inserted (default now()).';
COMMENT ON COLUMN core.users.updated_at IS
    'When the row last changed; kept current by the trg_users__set_updated_at trigger.';
COMMENT ON COLUMN core.users.created_by IS
    'User who created the row (core.users.id); NULL for system/seed writes or once that user is deleted (ON DELETE SET NULL).';
COMMENT ON COLUMN core.users.updated_by IS
    'User who last changed the row (core.users.id); NULL when unknown or that user was deleted.';
COMMENT ON COLUMN core.users.deleted_at IS
    'Soft delete: when the row was deleted; NULL while it is live. Queries and partial unique indexes only see rows WHERE deleted_at IS NULL.';
COMMENT ON COLUMN core.users.deleted_by IS
    'Soft delete: user who deleted the row (core.users.id); NULL while it is live.';
