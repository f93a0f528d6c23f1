/*
  splunk_ta.requests: TA generation requests and their status flow.

  The flow is enforced by trg_requests__status_transition (migration 0060):
      new -> pending_approval -> approved | rejected
      approved -> generating_ta -> validating | failed
      validating -> completed | failed | generating_ta;  failed -> generating_ta
  An illegal transition raises InvalidInput naming from and to (SQLSTATE
  RS002); approving or rejecting a request someone already decided raises
  Conflict (RS003): the second of two racing approvers waits for the first
  one's row lock, then is refused.

  Every change a person or the pipeline makes writes its core.audit_log event
  (application splunk_ta, entity_type 'splunk_ta.request') in the SAME
  statement: no change without its audit row, no audit row without its change.
  The event's correlation_id, session_id, ip_address and user_agent are the
  transaction's audit context (`transaction(conn, correlation_id=...,
  session_id=..., client_ip=..., user_agent=...)`), the same in every
  splunk_ta query.
*/

-- name: create_request(requester_id, title, description, source_type, vendor, product, cim_data_models, metadata)<!
-- record_class: RequestRow
-- Create a TA request (status new) and its `create` audit event.
-- ForeignKeyMissing (fk_requests__requester_id) when the requester does not exist.
WITH created AS (
    INSERT INTO splunk_ta.requests (
        requester_id, title, description, source_type, vendor, product, cim_data_models,
        metadata
    )
    VALUES (
        :requester_id, :title, :description, :source_type, :vendor, :product,
        COALESCE(:cim_data_models::text[], '{}'), COALESCE(:metadata::jsonb, '{}'::jsonb)
    )
    RETURNING
        id, requester_id, title, description, source_type, vendor, product, cim_data_models,
        status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
        rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, new_values, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           c.requester_id, 'create', 'splunk_ta.request', c.id::text,
           jsonb_build_object('title', c.title, 'status', c.status),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM created AS c
)
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM created;

-- name: get_request_by_id(id)^
-- record_class: RequestRow
-- Get a request by id.
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM splunk_ta.requests
WHERE id = :id::uuid;

-- name: request_exists(id)$
-- True when a request with this id exists.
SELECT EXISTS (SELECT 1 FROM splunk_ta.requests WHERE id = :id::uuid) AS "exists!";

-- name: list_requests(requester_id, status, after_created_at, after_id, limit)
-- record_class: RequestRow
-- List requests, newest first, optionally of one requester and/or in one status (keyset paginated).
-- Pass the last row's created_at / id as after_created_at / after_id for the
-- next page. ix_requests__requester_created / ix_requests__status_created.
-- stream: yes
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM splunk_ta.requests
WHERE (:requester_id::uuid IS NULL OR requester_id = :requester_id)
  AND (:status::splunk_ta.request_status IS NULL OR status = :status)
  AND (:after_created_at::timestamptz IS NULL
       OR (created_at, id) < (:after_created_at, :after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT :limit::int;

-- name: list_requests_pending_approval(limit)
-- record_class: RequestRow
-- List the requests waiting for a decision, oldest first (the approvers' queue).
-- ix_requests__pending_approval (partial).
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM splunk_ta.requests
WHERE status = 'pending_approval'
ORDER BY created_at, id
LIMIT :limit::int;

-- name: count_requests(requester_id, status)$
-- Count requests, optionally of one requester and/or in one status.
SELECT count(*) AS "count!"
FROM splunk_ta.requests
WHERE (:requester_id::uuid IS NULL OR requester_id = :requester_id)
  AND (:status::splunk_ta.request_status IS NULL OR status = :status);

-- name: get_request_statistics()
-- record_class: RequestStatisticsRow
-- Requests per status (every status, zero included), with the average time from creation to completion of completed ones.
-- avg_seconds_to_complete is NULL for statuses other than completed, and for
-- completed when there is none.
SELECT
    s.status AS "status!",
    count(r.id) AS "count!",
    (avg(extract(epoch FROM r.completed_at - r.created_at))
        FILTER (WHERE r.status = 'completed'))::float8 AS avg_seconds_to_complete
FROM unnest(enum_range(NULL::splunk_ta.request_status)) AS s(status)
LEFT JOIN splunk_ta.requests AS r ON r.status = s.status
GROUP BY s.status
ORDER BY s.status;

-- name: update_request(id, title, description, source_type, vendor, product, cim_data_models, metadata, updated_by)<!
-- record_class: RequestRow
-- Change the details of a request that is new or pending approval (None keeps a field); records an `update` audit event.
-- NotFound when there is no such request in status new or pending_approval
-- (after approval the request is what was approved).
WITH changed AS (
    UPDATE splunk_ta.requests
    SET title           = COALESCE(:title::text, title),
        description     = COALESCE(:description::text, description),
        source_type     = COALESCE(:source_type::text, source_type),
        vendor          = COALESCE(:vendor::text, vendor),
        product         = COALESCE(:product::text, product),
        cim_data_models = COALESCE(:cim_data_models::text[], cim_data_models),
        metadata        = COALESCE(:metadata::jsonb, metadata)
    WHERE id = :id::uuid
      AND status IN ('new', 'pending_approval')
    RETURNING
        id, requester_id, title, description, source_type, vendor, product, cim_data_models,
        status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
        rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, new_values, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           :updated_by::uuid, 'update', 'splunk_ta.request', c.id::text,
           jsonb_build_object('title', c.title, 'source_type', c.source_type),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM changed AS c
)
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM changed;

-- name: submit_request(id, submitted_by)<!
-- record_class: RequestRow
-- Submit a new request for approval (new -> pending_approval); records an `update` audit event.
-- InvalidInput (trg_requests__status_transition) from any other status; NotFound
-- when there is no such request.
WITH changed AS (
    UPDATE splunk_ta.requests
    SET status = 'pending_approval',
        submitted_at = statement_timestamp()
    WHERE id = :id::uuid
    RETURNING
        id, requester_id, title, description, source_type, vendor, product, cim_data_models,
        status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
        rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           :submitted_by::uuid, 'update', 'splunk_ta.request', c.id::text,
           jsonb_build_object('to', c.status),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM changed AS c
)
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM changed;

-- name: approve_request(id, approver_id, comment)<!
-- record_class: RequestRow
-- Approve a request pending approval: records who, when (approved_at) and why (comment), and an `approve` audit event, in one statement.
-- Conflict (RS003) when the request was already approved or rejected (e.g. by
-- a racing approver: the row lock makes this call wait for the other one,
-- then refuses it); InvalidInput (RS002) when it is still new (submit it
-- first) or further along; NotFound when there is no such request.
WITH changed AS (
    UPDATE splunk_ta.requests
    SET status = 'approved',
        approved_by = :approver_id::uuid,
        approved_at = statement_timestamp(),
        approval_comment = :comment::text
    WHERE id = :id::uuid
    RETURNING
        id, requester_id, title, description, source_type, vendor, product, cim_data_models,
        status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
        rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, reason, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           c.approved_by, 'approve', 'splunk_ta.request', c.id::text,
           jsonb_build_object('from', 'pending_approval', 'to', c.status), c.approval_comment,
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM changed AS c
)
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM changed;

-- name: reject_request(id, rejected_by, rejection_reason)<!
-- record_class: RequestRow
-- Reject a request pending approval: records who, when and why (rejection_reason, required), and a `reject` audit event, in one statement.
-- Conflict (RS003) when the request was already decided; InvalidInput when it
-- is not pending approval or the reason is empty; NotFound when there is no
-- such request.
WITH changed AS (
    UPDATE splunk_ta.requests
    SET status = 'rejected',
        rejected_by = :rejected_by::uuid,
        rejected_at = statement_timestamp(),
        rejection_reason = :rejection_reason::text
    WHERE id = :id::uuid
    RETURNING
        id, requester_id, title, description, source_type, vendor, product, cim_data_models,
        status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
        rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, reason, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           c.rejected_by, 'reject', 'splunk_ta.request', c.id::text,
           jsonb_build_object('from', 'pending_approval', 'to', c.status), c.rejection_reason,
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM changed AS c
)
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM changed;

-- name: update_request_status(id, expected_status, status, failure_reason, actor_user_id)<!
-- record_class: RequestRow
-- Move a request along the pipeline (generating_ta, validating, completed, failed) when it is in expected_status; records an `update` audit event.
-- expected_status guards against a stale read: NotFound when the request is
-- not (or no longer) in it. An illegal transition raises InvalidInput naming
-- from and to. Moving to completed stamps completed_at; failed needs
-- failure_reason. status = expected_status changes nothing but the audit trail.
-- actor_user_id None: the pipeline (actor_type system). Decisions go through
-- approve_request / reject_request, submission through submit_request.
WITH changed AS (
    UPDATE splunk_ta.requests
    SET status = :status::splunk_ta.request_status,
        completed_at = CASE WHEN :status::splunk_ta.request_status = 'completed'
                                 AND status <> 'completed'
                            THEN statement_timestamp() ELSE completed_at END,
        failure_reason = COALESCE(:failure_reason::text, failure_reason)
    WHERE id = :id::uuid
      AND status = :expected_status::splunk_ta.request_status
    RETURNING
        id, requester_id, title, description, source_type, vendor, product, cim_data_models,
        status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
        rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
        updated_at
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, details, reason, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid,
           CASE WHEN :actor_user_id::uuid IS NULL THEN 'system' ELSE 'user' END::core.actor_type,
           :actor_user_id, 'update', 'splunk_ta.request', c.id::text,
           jsonb_build_object('from', :expected_status::text, 'to', c.status),
           :failure_reason::text, NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM changed AS c
)
SELECT
    id, requester_id, title, description, source_type, vendor, product, cim_data_models,
    status, submitted_at, approved_by, approved_at, approval_comment, rejected_by,
    rejected_at, rejection_reason, completed_at, failure_reason, metadata, created_at,
    updated_at
FROM changed;

-- name: delete_request(id, deleted_by)$
-- Delete a request with its log samples, revisions and validation runs (cascade); records a `delete` audit event; returns 1, or 0 when there was none.
-- The object-storage files of its samples and revisions are not removed here:
-- list them first (list_log_samples_for_request, list_ta_revisions).
WITH gone AS (
    DELETE FROM splunk_ta.requests
    WHERE id = :id::uuid
    RETURNING id, title, status
),
audit AS (
    INSERT INTO core.audit_log (
        application, organization_id, actor_type, actor_user_id, action, entity_type,
        entity_id, old_values, correlation_id, session_id, ip_address, user_agent
    )
    SELECT 'splunk_ta', NULLIF(current_setting('app.org_id', true), '')::uuid, 'user',
           :deleted_by::uuid, 'delete', 'splunk_ta.request', g.id::text,
           jsonb_build_object('title', g.title, 'status', g.status),
           NULLIF(current_setting('app.correlation_id', true), ''),
           NULLIF(current_setting('app.session_id', true), ''),
           NULLIF(current_setting('app.client_ip', true), '')::inet,
           NULLIF(current_setting('app.user_agent', true), '')
    FROM gone AS g
)
SELECT count(*) AS "deleted!" FROM gone;
