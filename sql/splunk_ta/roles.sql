/*
  The four roles of the Splunk TA generator (seed 004 UserRoleEnum) are rows of
  core.roles with application 'splunk_ta' (migration 0004 creates them). Users,
  grants and permission checks are core's (sql/core/rbac.sql).
*/

-- name: ensure_default_roles()!
-- Create the four splunk_ta roles (requestor, approver, admin, knowledge_manager) that do not exist yet; returns how many were created.
-- Idempotent (ON CONFLICT on uq_roles__application_name DO NOTHING): safe to
-- run at every service start, as the seed's ensure_default_roles(). Existing
-- roles are left as they are.
INSERT INTO core.roles (application, name, description, is_system)
VALUES
    ('splunk_ta', 'requestor', 'Requests Splunk technology add-ons.', true),
    ('splunk_ta', 'approver', 'Approves TA requests.', true),
    ('splunk_ta', 'admin', 'Splunk TA generator administrator.', true),
    ('splunk_ta', 'knowledge_manager', 'Manages the knowledge base documents.', true)
ON CONFLICT (application, name) DO NOTHING;
