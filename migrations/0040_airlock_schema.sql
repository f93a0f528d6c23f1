-- 0040_airlock_schema: schema `airlock`, its 7 enums and 7 tables, the
-- compatibility view airlock.v_users, and the rules the database enforces
-- (catalog §1.2, seed 002 "npm package airlock").
--
-- WHY: a team submits its package-lock.json; every package it resolves becomes
-- a request; each request runs through a workflow (fetch from npm, a Trivy
-- scan, a license check against an allowlist, manual review) and is approved
-- or rejected; usage records say which projects depend on what, so a new CVE
-- can be traced to the projects it hits. The seed's users, audit logs and API
-- keys moved to `core` (catalog §3.2): users.roles[] are core.user_roles rows
-- (airlock roles and permissions are in 0004), rebuilt by airlock.v_users.
--
-- What the database enforces here rather than the services:
--   * the workflow state machine (trg_workflows__transition, SQLSTATE RS002
--     naming the from/to states, constraint ck_workflows__status_transition);
--     approving or rejecting needs decided_by and decided_at, a rejection a
--     reason; a decision's request status follows its workflow
--     (trg_workflows__sync_request);
--   * the lockfile: a submission's package_lock_json is checked on insert by
--     airlock.lockfile_problem() (RS002, ck_package_submissions__lockfile_shape,
--     a message saying what is wrong) and project_name, project_version and
--     lockfile_version are taken from the file (trg_package_submissions__from_lockfile);
--   * SPDX license expressions (OR / AND / parentheses / WITH) are evaluated
--     against the active allowlist by airlock.license_allowed().
-- No soft delete in this schema (the seed hard-deletes with cascades);
-- license_allowlist.is_active is a deactivation flag (catalog §1.2.5).
-- depends: 0039_post_mlops_deployments_validate_running_has_deployed_at

SET LOCAL lock_timeout = '5s';

CREATE SCHEMA airlock;
COMMENT ON SCHEMA airlock IS
    'Seed 002 npm package airlock: lockfile submissions, package requests, review workflows, check results, usage, license allowlist.';
REVOKE ALL ON SCHEMA airlock FROM PUBLIC;
GRANT USAGE ON SCHEMA airlock TO registry_owner, registry_app, registry_readonly;

-- ---------------------------------------------------------------------------
-- Enums (catalog §1.2.3; check_type stated, the others proposed).
-- ---------------------------------------------------------------------------
CREATE TYPE airlock.submission_status AS ENUM
    ('pending', 'processing', 'completed', 'failed', 'cancelled');
CREATE TYPE airlock.request_status AS ENUM
    ('pending', 'in_review', 'approved', 'rejected', 'failed');
CREATE TYPE airlock.package_status AS ENUM
    ('pending', 'fetched', 'fetch_failed', 'approved', 'rejected', 'revoked');
CREATE TYPE airlock.workflow_status AS ENUM
    ('pending', 'running', 'awaiting_approval', 'approved', 'rejected', 'failed', 'cancelled');
-- Declared in pipeline order.
CREATE TYPE airlock.workflow_stage AS ENUM
    ('queued', 'fetch', 'security_scan', 'license_check', 'manual_review', 'publish', 'completed');
CREATE TYPE airlock.check_type AS ENUM ('trivy', 'license');
CREATE TYPE airlock.check_status AS ENUM
    ('pending', 'running', 'passed', 'failed', 'warning', 'error');
COMMENT ON TYPE airlock.submission_status IS 'Lifecycle of a lockfile submission (completed when every request is terminal).';
COMMENT ON TYPE airlock.request_status IS 'Lifecycle of one package request; follows its workflow.';
COMMENT ON TYPE airlock.package_status IS 'State of a package version in the internal registry.';
COMMENT ON TYPE airlock.workflow_status IS 'Workflow states: pending -> running -> awaiting_approval -> approved | rejected; running -> failed; any non-terminal -> cancelled.';
COMMENT ON TYPE airlock.workflow_stage IS 'Pipeline stage of a workflow, in order.';
COMMENT ON TYPE airlock.check_type IS 'Kind of automated check (seed 002: TRIVY, LICENSE).';
COMMENT ON TYPE airlock.check_status IS 'Outcome of one check run.';

-- ---------------------------------------------------------------------------
-- Lockfile validation: one definition for the trigger and for services that
-- want to check a file before submitting it (check_lockfile).
-- ---------------------------------------------------------------------------
CREATE FUNCTION airlock.lockfile_problem(p_lock jsonb)
    RETURNS text
    LANGUAGE plpgsql
    IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_key text;
    v_version jsonb;
BEGIN
    IF p_lock IS NULL THEN
        RETURN 'package-lock.json is missing (NULL)';
    END IF;
    IF jsonb_typeof(p_lock) <> 'object' THEN
        RETURN format('package-lock.json must be a JSON object, got a JSON %s', jsonb_typeof(p_lock));
    END IF;
    IF jsonb_typeof(p_lock -> 'name') IS DISTINCT FROM 'string' OR btrim(p_lock ->> 'name') = '' THEN
        RETURN 'package-lock.json has no "name" (the project name): run npm install in a project whose package.json has a name';
    END IF;
    IF p_lock ? 'version' AND jsonb_typeof(p_lock -> 'version') <> 'string' THEN
        RETURN format('package-lock.json "version" must be a string, got a JSON %s', jsonb_typeof(p_lock -> 'version'));
    END IF;
    IF p_lock ? 'lockfileVersion'
       AND NOT (jsonb_typeof(p_lock -> 'lockfileVersion') = 'number'
                AND (p_lock ->> 'lockfileVersion') IN ('1', '2', '3')) THEN
        RETURN format('package-lock.json "lockfileVersion" must be 1, 2 or 3, got %s', p_lock -> 'lockfileVersion');
    END IF;

    IF p_lock ? 'packages' THEN
        -- lockfile v2/v3: a map of install paths; "" is the root project,
        -- keys without node_modules/ are workspace folders, link entries are
        -- symlinks to them: none of these come from the registry.
        IF jsonb_typeof(p_lock -> 'packages') <> 'object' THEN
            RETURN format('package-lock.json "packages" must be an object (path -> entry), got a JSON %s',
                          jsonb_typeof(p_lock -> 'packages'));
        END IF;
        SELECT e.key, e.value -> 'version' INTO v_key, v_version
          FROM jsonb_each(p_lock -> 'packages') AS e
         WHERE e.key LIKE '%node_modules/%'
           AND (jsonb_typeof(e.value) <> 'object'
                OR (NOT coalesce((e.value ->> 'link')::boolean, false)
                    AND (jsonb_typeof(e.value -> 'version') IS DISTINCT FROM 'string'
                         OR btrim(e.value ->> 'version') = '')))
         ORDER BY e.key
         LIMIT 1;
        IF v_key IS NOT NULL THEN
            RETURN format('package-lock.json entry "packages"."%s" has no "version" (got %s): every installed package needs its resolved version',
                          v_key, coalesce(v_version::text, 'nothing'));
        END IF;
        RETURN NULL;
    END IF;

    IF p_lock ? 'dependencies' THEN
        -- lockfile v1: a tree of name -> {version, integrity, dependencies}.
        IF jsonb_typeof(p_lock -> 'dependencies') <> 'object' THEN
            RETURN format('package-lock.json "dependencies" must be an object (name -> entry), got a JSON %s',
                          jsonb_typeof(p_lock -> 'dependencies'));
        END IF;
        WITH RECURSIVE tree (path, entry) AS (
            SELECT e.key, e.value
              FROM jsonb_each(p_lock -> 'dependencies') AS e
            UNION ALL
            SELECT t.path || ' > ' || c.key, c.value
              FROM tree AS t
             CROSS JOIN LATERAL jsonb_each(
                   CASE WHEN jsonb_typeof(t.entry -> 'dependencies') = 'object'
                        THEN t.entry -> 'dependencies' ELSE '{}'::jsonb END) AS c
             WHERE jsonb_typeof(t.entry) = 'object'
        )
        SELECT t.path, t.entry -> 'version' INTO v_key, v_version
          FROM tree AS t
         WHERE jsonb_typeof(t.entry) <> 'object'
            OR jsonb_typeof(t.entry -> 'version') IS DISTINCT FROM 'string'
            OR btrim(t.entry ->> 'version') = ''
            OR (t.entry ? 'dependencies' AND jsonb_typeof(t.entry -> 'dependencies') <> 'object')
         ORDER BY t.path
         LIMIT 1;
        IF v_key IS NOT NULL THEN
            RETURN format('package-lock.json entry "dependencies" > %s has no "version" (got %s), or its "dependencies" is not an object',
                          v_key, coalesce(v_version::text, 'nothing'));
        END IF;
        RETURN NULL;
    END IF;

    RETURN 'package-lock.json has neither a "packages" map (lockfile v2/v3) nor a "dependencies" tree (lockfile v1): submit the file npm install wrote';
END
$fn$;
COMMENT ON FUNCTION airlock.lockfile_problem(jsonb) IS
    'What is wrong with a package-lock.json (a sentence), or NULL when it can be ingested: an object with a name and a v2/v3 "packages" map (every node_modules entry but links has a version) or a v1 "dependencies" tree (every entry at every depth has a version).';
REVOKE ALL ON FUNCTION airlock.lockfile_problem(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION airlock.lockfile_problem(jsonb)
    TO registry_owner, registry_app, registry_readonly;

-- ---------------------------------------------------------------------------
-- airlock.package_submissions
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.package_submissions (
    id                uuid                      NOT NULL DEFAULT gen_random_uuid(),
    user_id           uuid                      NOT NULL,
    project_name      text                      NOT NULL,
    project_version   text                      NULL,
    package_lock_json jsonb                     NOT NULL,
    -- 1, 2 or 3 (CHECK below): a 32-bit integer is plenty.
    -- squawk-ignore prefer-bigint-over-int
    lockfile_version  integer                   NULL,
    status            airlock.submission_status NOT NULL DEFAULT 'pending',
    created_at        timestamptz               NOT NULL DEFAULT now(),
    updated_at        timestamptz               NOT NULL DEFAULT now(),
    CONSTRAINT package_submissions_pkey PRIMARY KEY (id),
    CONSTRAINT fk_package_submissions__user_id FOREIGN KEY (user_id)
        REFERENCES core.users (id),
    CONSTRAINT ck_package_submissions__project_name_length
        CHECK (length(project_name) BETWEEN 1 AND 214),
    CONSTRAINT ck_package_submissions__package_lock_json_object
        CHECK (jsonb_typeof(package_lock_json) = 'object'),
    CONSTRAINT ck_package_submissions__lockfile_version_range
        CHECK (lockfile_version BETWEEN 1 AND 3)
);
COMMENT ON TABLE airlock.package_submissions IS
    'A package-lock.json submitted by a user for review; its entries become package_requests. Deleting a submission cascades to its requests, their workflows, check results and usage rows.';
COMMENT ON COLUMN airlock.package_submissions.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.package_submissions.user_id IS
    'The submitter (core.users.id); NO ACTION: a user with submissions cannot be purged.';
COMMENT ON COLUMN airlock.package_submissions.project_name IS
    'Taken from the lockfile''s "name" by trg_package_submissions__from_lockfile (npm names are at most 214 characters).';
COMMENT ON COLUMN airlock.package_submissions.project_version IS
    'Taken from the lockfile''s "version"; NULL when the file has none.';
COMMENT ON COLUMN airlock.package_submissions.package_lock_json IS
    'The whole package-lock.json as submitted; checked by airlock.lockfile_problem() on insert.';
COMMENT ON COLUMN airlock.package_submissions.lockfile_version IS
    'Taken from the lockfile''s "lockfileVersion" (1, 2 or 3); NULL when absent.';
COMMENT ON COLUMN airlock.package_submissions.status IS
    'pending at submission, processing once a workflow is claimed, completed when every request is terminal.';
COMMENT ON COLUMN airlock.package_submissions.created_at IS 'When the submission was made.';
COMMENT ON COLUMN airlock.package_submissions.updated_at IS 'Last change (trg_package_submissions__set_updated_at).';
COMMENT ON CONSTRAINT ck_package_submissions__project_name_length ON airlock.package_submissions IS
    'project_name (the lockfile''s "name") must be 1 to 214 characters long';
COMMENT ON CONSTRAINT ck_package_submissions__package_lock_json_object ON airlock.package_submissions IS
    'package_lock_json must be a JSON object (the parsed package-lock.json)';
COMMENT ON CONSTRAINT ck_package_submissions__lockfile_version_range ON airlock.package_submissions IS
    'lockfile_version must be 1, 2 or 3 (the lockfile''s "lockfileVersion")';

CREATE INDEX ix_package_submissions__user_id ON airlock.package_submissions (user_id, created_at DESC, id DESC);
CREATE INDEX ix_package_submissions__status_created ON airlock.package_submissions (status, created_at DESC);
CREATE INDEX ix_package_submissions__project ON airlock.package_submissions (project_name, project_version);

CREATE TRIGGER trg_package_submissions__set_updated_at
    BEFORE UPDATE ON airlock.package_submissions
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

CREATE FUNCTION airlock.submission_from_lockfile()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_problem text := airlock.lockfile_problem(NEW.package_lock_json);
BEGIN
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE    = 'RS002',
            MESSAGE    = v_problem,
            HINT       = 'submit the package-lock.json that npm install wrote (lockfile v1, v2 or v3), unmodified',
            SCHEMA     = 'airlock',
            TABLE      = 'package_submissions',
            COLUMN     = 'package_lock_json',
            CONSTRAINT = 'ck_package_submissions__lockfile_shape';
    END IF;
    NEW.project_name     := NEW.package_lock_json ->> 'name';
    NEW.project_version  := NEW.package_lock_json ->> 'version';
    NEW.lockfile_version := (NEW.package_lock_json ->> 'lockfileVersion')::integer;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION airlock.submission_from_lockfile() IS
    'Trigger function: refuses a malformed lockfile (SQLSTATE RS002, constraint ck_package_submissions__lockfile_shape, message from airlock.lockfile_problem) and copies project_name, project_version, lockfile_version from it.';
REVOKE ALL ON FUNCTION airlock.submission_from_lockfile() FROM PUBLIC;

CREATE TRIGGER trg_package_submissions__from_lockfile
    BEFORE INSERT OR UPDATE OF package_lock_json, project_name, project_version, lockfile_version
    ON airlock.package_submissions
    FOR EACH ROW EXECUTE FUNCTION airlock.submission_from_lockfile();

-- ---------------------------------------------------------------------------
-- airlock.packages: one row per npm (name, version) fetched into the airlock.
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.packages (
    id                  uuid                   NOT NULL DEFAULT gen_random_uuid(),
    name                text                   NOT NULL,
    version             text                   NOT NULL,
    status              airlock.package_status NOT NULL DEFAULT 'pending',
    metadata            jsonb                  NOT NULL DEFAULT '{}'::jsonb,
    license             text                   NULL,
    tarball_storage_key text                   NULL,
    fetched_at          timestamptz            NULL,
    created_at          timestamptz            NOT NULL DEFAULT now(),
    updated_at          timestamptz            NOT NULL DEFAULT now(),
    CONSTRAINT packages_pkey PRIMARY KEY (id),
    CONSTRAINT uq_packages__name_version UNIQUE (name, version),
    CONSTRAINT ck_packages__name_length CHECK (length(name) BETWEEN 1 AND 214),
    CONSTRAINT ck_packages__version_length CHECK (length(version) BETWEEN 1 AND 256),
    CONSTRAINT ck_packages__metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);
COMMENT ON TABLE airlock.packages IS
    'npm package versions fetched from the public registry (metadata = the version manifest); one row per (name, version), shared by every submission that resolves it.';
COMMENT ON COLUMN airlock.packages.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.packages.name IS 'npm package name, possibly scoped (@scope/name).';
COMMENT ON COLUMN airlock.packages.version IS 'Exact version (semver text).';
COMMENT ON COLUMN airlock.packages.status IS
    'pending until fetched; approved versions skip review in later submissions; revoked withdraws an approval.';
COMMENT ON COLUMN airlock.packages.metadata IS
    'The npm registry version manifest (dist.tarball, dist.integrity, license, dependencies, ...); GIN-indexed for @> searches.';
COMMENT ON COLUMN airlock.packages.license IS
    'SPDX license expression copied from the manifest at fetch time (e.g. MIT, (MIT OR Apache-2.0)); checked by airlock.license_allowed().';
COMMENT ON COLUMN airlock.packages.tarball_storage_key IS 'Where the fetched tarball is stored internally.';
COMMENT ON COLUMN airlock.packages.fetched_at IS 'When the manifest was last fetched; NULL until fetched.';
COMMENT ON COLUMN airlock.packages.created_at IS 'When the row was inserted (default now()).';
COMMENT ON COLUMN airlock.packages.updated_at IS 'Last change (trg_packages__set_updated_at).';
COMMENT ON CONSTRAINT ck_packages__name_length ON airlock.packages IS
    'name must be 1 to 214 characters long (npm''s limit)';
COMMENT ON CONSTRAINT ck_packages__version_length ON airlock.packages IS
    'version must be 1 to 256 characters long';
COMMENT ON CONSTRAINT ck_packages__metadata_object ON airlock.packages IS
    'metadata must be a JSON object (the npm version manifest)';

CREATE INDEX ix_packages__status ON airlock.packages (status);
CREATE INDEX ix_packages__metadata ON airlock.packages USING gin (metadata jsonb_path_ops);

CREATE TRIGGER trg_packages__set_updated_at
    BEFORE UPDATE ON airlock.packages
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- airlock.package_requests: one per distinct (name, version) of a submission.
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.package_requests (
    id              uuid                   NOT NULL DEFAULT gen_random_uuid(),
    submission_id   uuid                   NOT NULL,
    package_name    text                   NOT NULL,
    package_version text                   NOT NULL,
    package_id      uuid                   NULL,
    integrity       text                   NULL,
    status          airlock.request_status NOT NULL DEFAULT 'pending',
    created_at      timestamptz            NOT NULL DEFAULT now(),
    updated_at      timestamptz            NOT NULL DEFAULT now(),
    CONSTRAINT package_requests_pkey PRIMARY KEY (id),
    CONSTRAINT uq_package_requests__name_version_submission
        UNIQUE (package_name, package_version, submission_id),
    CONSTRAINT fk_package_requests__submission_id FOREIGN KEY (submission_id)
        REFERENCES airlock.package_submissions (id) ON DELETE CASCADE,
    CONSTRAINT fk_package_requests__package_id FOREIGN KEY (package_id)
        REFERENCES airlock.packages (id) ON DELETE SET NULL,
    CONSTRAINT ck_package_requests__package_name_length CHECK (length(package_name) BETWEEN 1 AND 214),
    CONSTRAINT ck_package_requests__package_version_length
        CHECK (length(package_version) BETWEEN 1 AND 256)
);
COMMENT ON TABLE airlock.package_requests IS
    'A request to let one package version through the airlock, for one submission; unique per (package_name, package_version, submission_id).';
COMMENT ON COLUMN airlock.package_requests.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.package_requests.submission_id IS
    'The submission whose lockfile resolved this package (CASCADE).';
COMMENT ON COLUMN airlock.package_requests.package_name IS 'npm package name, possibly scoped (@scope/name).';
COMMENT ON COLUMN airlock.package_requests.package_version IS 'Exact resolved version from the lockfile.';
COMMENT ON COLUMN airlock.package_requests.package_id IS
    'The fetched package row once it exists (airlock.packages.id, SET NULL); the seed linked them by (name, version) only.';
COMMENT ON COLUMN airlock.package_requests.integrity IS 'Subresource integrity string from the lockfile (sha512-...).';
COMMENT ON COLUMN airlock.package_requests.status IS
    'Follows the workflow (trg_workflows__sync_request); approved at submission when the version was already approved.';
COMMENT ON COLUMN airlock.package_requests.created_at IS 'When the row was inserted (default now()).';
COMMENT ON COLUMN airlock.package_requests.updated_at IS 'Last change (trg_package_requests__set_updated_at).';
COMMENT ON CONSTRAINT ck_package_requests__package_name_length ON airlock.package_requests IS
    'package_name must be 1 to 214 characters long (npm''s limit)';
COMMENT ON CONSTRAINT ck_package_requests__package_version_length ON airlock.package_requests IS
    'package_version must be 1 to 256 characters long';

CREATE INDEX ix_package_requests__submission_id ON airlock.package_requests (submission_id);
CREATE INDEX ix_package_requests__status ON airlock.package_requests (status);
CREATE INDEX ix_package_requests__package_id ON airlock.package_requests (package_id);

CREATE TRIGGER trg_package_requests__set_updated_at
    BEFORE UPDATE ON airlock.package_requests
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- airlock.workflows: the review state of one request.
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.workflows (
    id                 uuid                    NOT NULL DEFAULT gen_random_uuid(),
    package_request_id uuid                    NOT NULL,
    status             airlock.workflow_status NOT NULL DEFAULT 'pending',
    current_stage      airlock.workflow_stage  NOT NULL DEFAULT 'queued',
    decided_by         uuid                    NULL,
    decided_at         timestamptz             NULL,
    decision_reason    text                    NULL,
    completed_at       timestamptz             NULL,
    created_at         timestamptz             NOT NULL DEFAULT now(),
    updated_at         timestamptz             NOT NULL DEFAULT now(),
    CONSTRAINT workflows_pkey PRIMARY KEY (id),
    CONSTRAINT uq_workflows__package_request_id UNIQUE (package_request_id),
    CONSTRAINT fk_workflows__package_request_id FOREIGN KEY (package_request_id)
        REFERENCES airlock.package_requests (id) ON DELETE CASCADE,
    CONSTRAINT fk_workflows__decided_by FOREIGN KEY (decided_by)
        REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT ck_workflows__decision_has_time
        CHECK (status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL),
    CONSTRAINT ck_workflows__rejection_has_reason
        CHECK (status <> 'rejected' OR length(btrim(decision_reason)) > 0)
);
COMMENT ON TABLE airlock.workflows IS
    'The approval workflow of one package request. Status changes are checked by trg_workflows__transition (illegal ones raise RS002 naming the from/to states); the request''s status follows (trg_workflows__sync_request).';
COMMENT ON COLUMN airlock.workflows.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.workflows.package_request_id IS 'The request under review (unique: one workflow per request; CASCADE).';
COMMENT ON COLUMN airlock.workflows.status IS
    'pending -> running -> awaiting_approval -> approved | rejected; running -> failed; pending, running, awaiting_approval -> cancelled.';
COMMENT ON COLUMN airlock.workflows.current_stage IS 'Pipeline stage (queued, fetch, security_scan, license_check, manual_review, publish, completed).';
COMMENT ON COLUMN airlock.workflows.decided_by IS
    'The approver (core.users.id); required to approve or reject (SET NULL if the user is purged later).';
COMMENT ON COLUMN airlock.workflows.decided_at IS 'When it was approved or rejected.';
COMMENT ON COLUMN airlock.workflows.decision_reason IS 'Why; required for a rejection.';
COMMENT ON COLUMN airlock.workflows.completed_at IS 'When it reached a terminal status (set by the transition trigger).';
COMMENT ON COLUMN airlock.workflows.created_at IS 'When the workflow was queued: the work queue order.';
COMMENT ON COLUMN airlock.workflows.updated_at IS 'Last change (trg_workflows__set_updated_at).';
COMMENT ON CONSTRAINT ck_workflows__decision_has_time ON airlock.workflows IS
    'decided_at: an approved or rejected workflow needs decided_at';
COMMENT ON CONSTRAINT ck_workflows__rejection_has_reason ON airlock.workflows IS
    'decision_reason: a rejected workflow needs a non-empty decision_reason';

-- The work queue: claim_next_workflows reads pending+queued rows in created_at order.
CREATE INDEX ix_workflows__active ON airlock.workflows (current_stage, created_at)
    WHERE status IN ('pending', 'running', 'awaiting_approval');
CREATE INDEX ix_workflows__decided_by ON airlock.workflows (decided_by);

CREATE TRIGGER trg_workflows__set_updated_at
    BEFORE UPDATE ON airlock.workflows
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

CREATE FUNCTION airlock.enforce_workflow_transition()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_from text := CASE WHEN TG_OP = 'INSERT' THEN '(new)' ELSE OLD.status::text END;
    v_legal text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_legal := ARRAY['pending'];
    ELSIF NEW.status = OLD.status THEN
        RETURN NEW;  -- a stage change, or nothing
    ELSE
        v_legal := CASE OLD.status
            WHEN 'pending'           THEN ARRAY['running', 'cancelled']
            WHEN 'running'           THEN ARRAY['awaiting_approval', 'failed', 'cancelled']
            WHEN 'awaiting_approval' THEN ARRAY['approved', 'rejected', 'cancelled']
            ELSE ARRAY[]::text[]
        END;
    END IF;
    IF NOT NEW.status::text = ANY (v_legal) THEN
        RAISE EXCEPTION USING
            ERRCODE    = 'RS002',
            MESSAGE    = format('workflow %s: illegal status transition from %s to %s',
                                NEW.id, v_from, NEW.status),
            DETAIL     = format('from %s the workflow may go to: %s', v_from,
                                coalesce(nullif(array_to_string(v_legal, ', '), ''),
                                         'nothing (terminal state)')),
            HINT       = 'workflows go pending -> running -> awaiting_approval -> approved | rejected, running -> failed, and any non-terminal state -> cancelled',
            SCHEMA     = 'airlock',
            TABLE      = 'workflows',
            COLUMN     = 'status',
            CONSTRAINT = 'ck_workflows__status_transition';
    END IF;
    IF NEW.status IN ('approved', 'rejected') THEN
        IF NEW.decided_by IS NULL OR NEW.decided_at IS NULL THEN
            RAISE EXCEPTION USING
                ERRCODE    = 'RS002',
                MESSAGE    = format('workflow %s: moving from %s to %s needs decided_by and decided_at',
                                    NEW.id, v_from, NEW.status),
                HINT       = 'pass the approver''s user id (decided_by); decided_at defaults to now in approve_workflow / reject_workflow',
                SCHEMA     = 'airlock',
                TABLE      = 'workflows',
                COLUMN     = 'decided_by',
                CONSTRAINT = 'ck_workflows__decision_recorded';
        END IF;
        IF NEW.status = 'rejected' AND coalesce(btrim(NEW.decision_reason), '') = '' THEN
            RAISE EXCEPTION USING
                ERRCODE    = 'RS002',
                MESSAGE    = format('workflow %s: a rejection needs a reason (decision_reason)', NEW.id),
                HINT       = 'say why the package is rejected, e.g. the failing license or CVE',
                SCHEMA     = 'airlock',
                TABLE      = 'workflows',
                COLUMN     = 'decision_reason',
                CONSTRAINT = 'ck_workflows__rejection_has_reason';
        END IF;
    END IF;
    IF NEW.status IN ('approved', 'rejected', 'failed', 'cancelled') THEN
        NEW.completed_at := coalesce(NEW.completed_at, now());
        IF NEW.status IN ('approved', 'rejected') THEN
            NEW.current_stage := 'completed';
        END IF;
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION airlock.enforce_workflow_transition() IS
    'Trigger function: a workflow starts pending and moves only along the legal transitions (RS002, constraint ck_workflows__status_transition, message naming from/to); approve/reject need decided_by and decided_at, reject a reason; terminal states set completed_at.';
REVOKE ALL ON FUNCTION airlock.enforce_workflow_transition() FROM PUBLIC;

CREATE TRIGGER trg_workflows__transition
    BEFORE INSERT OR UPDATE OF status ON airlock.workflows
    FOR EACH ROW EXECUTE FUNCTION airlock.enforce_workflow_transition();

CREATE FUNCTION airlock.sync_request_status()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    UPDATE airlock.package_requests
       SET status = CASE NEW.status
                        WHEN 'pending'           THEN 'pending'
                        WHEN 'running'           THEN 'in_review'
                        WHEN 'awaiting_approval' THEN 'in_review'
                        WHEN 'approved'          THEN 'approved'
                        WHEN 'rejected'          THEN 'rejected'
                        ELSE 'failed'            -- failed, cancelled
                    END::airlock.request_status
     WHERE id = NEW.package_request_id;
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION airlock.sync_request_status() IS
    'Trigger function: the request''s status follows its workflow''s (running/awaiting_approval -> in_review; failed/cancelled -> failed).';
REVOKE ALL ON FUNCTION airlock.sync_request_status() FROM PUBLIC;

CREATE TRIGGER trg_workflows__sync_request
    AFTER UPDATE OF status ON airlock.workflows
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION airlock.sync_request_status();

-- ---------------------------------------------------------------------------
-- airlock.check_results: append-only (re-runs add rows).
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.check_results (
    id          uuid                 NOT NULL DEFAULT gen_random_uuid(),
    workflow_id uuid                 NOT NULL,
    check_type  airlock.check_type   NOT NULL,
    status      airlock.check_status NOT NULL,
    results     jsonb                NOT NULL DEFAULT '{}'::jsonb,
    -- statement_timestamp(), not now(): re-runs recorded in one transaction
    -- must still order (the latest result per check type wins).
    created_at  timestamptz          NOT NULL DEFAULT statement_timestamp(),
    CONSTRAINT check_results_pkey PRIMARY KEY (id),
    CONSTRAINT fk_check_results__workflow_id FOREIGN KEY (workflow_id)
        REFERENCES airlock.workflows (id) ON DELETE CASCADE,
    CONSTRAINT ck_check_results__results_object CHECK (jsonb_typeof(results) = 'object')
);
COMMENT ON TABLE airlock.check_results IS
    'Results of the automated checks of a workflow (Trivy report, license analysis). Append-only for services (INSERT + SELECT); a re-run adds a row, the latest per check_type counts.';
COMMENT ON COLUMN airlock.check_results.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.check_results.workflow_id IS 'The workflow checked (CASCADE).';
COMMENT ON COLUMN airlock.check_results.check_type IS 'trivy or license.';
COMMENT ON COLUMN airlock.check_results.status IS 'Outcome (passed, failed, warning, error, ...).';
COMMENT ON COLUMN airlock.check_results.results IS 'The Trivy JSON report or the license analysis.';
COMMENT ON COLUMN airlock.check_results.created_at IS 'When the result was recorded (statement_timestamp(), so re-runs in one transaction still order): the latest per check_type is current.';
COMMENT ON CONSTRAINT ck_check_results__results_object ON airlock.check_results IS
    'results must be a JSON object (a Trivy report or a license analysis)';

CREATE INDEX ix_check_results__workflow_type_created
    ON airlock.check_results (workflow_id, check_type, created_at DESC);
CREATE INDEX ix_check_results__problems ON airlock.check_results (created_at DESC)
    WHERE status IN ('failed', 'error');

-- ---------------------------------------------------------------------------
-- airlock.package_usage: which project (version) depends on which request.
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.package_usage (
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    package_request_id uuid        NOT NULL,
    project_name       text        NOT NULL,
    project_version    text        NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT package_usage_pkey PRIMARY KEY (id),
    CONSTRAINT fk_package_usage__package_request_id FOREIGN KEY (package_request_id)
        REFERENCES airlock.package_requests (id) ON DELETE CASCADE,
    CONSTRAINT ck_package_usage__project_name_length CHECK (length(project_name) BETWEEN 1 AND 214)
);
COMMENT ON TABLE airlock.package_usage IS
    'Which projects depend on which package request (one row per request at submission): the answer to "which projects does this CVE hit".';
COMMENT ON COLUMN airlock.package_usage.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.package_usage.package_request_id IS 'The request (and so the package name and version) used (CASCADE).';
COMMENT ON COLUMN airlock.package_usage.project_name IS 'The depending project (the lockfile''s name); indexed (seed 002).';
COMMENT ON COLUMN airlock.package_usage.project_version IS 'The depending project''s version, when the lockfile has one.';
COMMENT ON COLUMN airlock.package_usage.created_at IS 'When the usage was recorded.';
COMMENT ON CONSTRAINT ck_package_usage__project_name_length ON airlock.package_usage IS
    'project_name must be 1 to 214 characters long';

CREATE INDEX ix_package_usage__project_name ON airlock.package_usage (project_name);
CREATE INDEX ix_package_usage__package_request_id ON airlock.package_usage (package_request_id);

-- ---------------------------------------------------------------------------
-- airlock.license_allowlist
-- ---------------------------------------------------------------------------
CREATE TABLE airlock.license_allowlist (
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    license_identifier text        NOT NULL,
    license_name       text        NOT NULL,
    description        text        NULL,
    is_active          boolean     NOT NULL DEFAULT true,
    created_by         uuid        NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT license_allowlist_pkey PRIMARY KEY (id),
    CONSTRAINT uq_license_allowlist__license_identifier UNIQUE (license_identifier),
    CONSTRAINT fk_license_allowlist__created_by FOREIGN KEY (created_by)
        REFERENCES core.users (id) ON DELETE SET NULL,
    CONSTRAINT ck_license_allowlist__license_identifier_format
        CHECK (license_identifier ~ '^[A-Za-z0-9][A-Za-z0-9.+-]*( WITH [A-Za-z0-9][A-Za-z0-9.+-]*)?$'
               AND length(license_identifier) <= 100),
    CONSTRAINT ck_license_allowlist__license_name_length CHECK (length(license_name) BETWEEN 1 AND 200)
);
COMMENT ON TABLE airlock.license_allowlist IS
    'SPDX licenses a package may carry. is_active = false deactivates an entry without deleting it (history keeps referring to it).';
COMMENT ON COLUMN airlock.license_allowlist.id IS 'Surrogate key (gen_random_uuid() by default).';
COMMENT ON COLUMN airlock.license_allowlist.license_identifier IS
    'SPDX identifier (MIT, Apache-2.0, or "<id> WITH <exception>"); matched case-insensitively by airlock.license_allowed().';
COMMENT ON COLUMN airlock.license_allowlist.license_name IS 'Full license name.';
COMMENT ON COLUMN airlock.license_allowlist.description IS 'Why it is allowed, conditions.';
COMMENT ON COLUMN airlock.license_allowlist.is_active IS 'Only active entries allow a license.';
COMMENT ON COLUMN airlock.license_allowlist.created_by IS 'Who added it (core.users.id; SET NULL; NULL for the migration defaults).';
COMMENT ON COLUMN airlock.license_allowlist.created_at IS 'When the row was inserted (default now()).';
COMMENT ON COLUMN airlock.license_allowlist.updated_at IS 'Last change (trg_license_allowlist__set_updated_at).';
COMMENT ON CONSTRAINT ck_license_allowlist__license_identifier_format ON airlock.license_allowlist IS
    'license_identifier must be an SPDX identifier (letters, digits, ''.'', ''-'', ''+''; optionally '' WITH <exception>''), at most 100 characters';
COMMENT ON CONSTRAINT ck_license_allowlist__license_name_length ON airlock.license_allowlist IS
    'license_name must be 1 to 200 characters long';

CREATE INDEX ix_license_allowlist__created_by ON airlock.license_allowlist (created_by);

CREATE TRIGGER trg_license_allowlist__set_updated_at
    BEFORE UPDATE ON airlock.license_allowlist
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();

-- ---------------------------------------------------------------------------
-- SPDX license expressions against the active allowlist.
-- ---------------------------------------------------------------------------
CREATE FUNCTION airlock.license_allowed(p_expression text)
    RETURNS boolean
    LANGUAGE plpgsql
    STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_expr text;
    v_prev text;
    v_tok  text;
BEGIN
    -- Empty, blank (any white space, not only spaces) or longer than any real
    -- SPDX expression (the reduction below is quadratic in the tokens): NULL.
    IF p_expression IS NULL OR p_expression !~ '\S' OR length(p_expression) > 1000 THEN
        RETURN NULL;
    END IF;
    -- "<id> WITH <exception>" is one term.
    v_expr := regexp_replace(p_expression, '\s+WITH\s+', '~', 'gi');
    -- Tokens -> a string over T, F, &, |, ( and ).
    v_expr := (
        SELECT string_agg(
                   CASE
                       WHEN m[1] IN ('(', ')') THEN m[1]
                       WHEN upper(m[1]) = 'AND' THEN '&'
                       WHEN upper(m[1]) = 'OR' THEN '|'
                       WHEN EXISTS (
                           SELECT 1 FROM airlock.license_allowlist a
                            WHERE a.is_active
                              AND lower(a.license_identifier) = lower(replace(m[1], '~', ' WITH ')))
                           THEN 'T'
                       ELSE 'F'
                   END, '' ORDER BY n)
          FROM regexp_matches(v_expr, '(\(|\)|[^\s()]+)', 'g') WITH ORDINALITY AS t (m, n)
    );
    IF v_expr IS NULL THEN
        RETURN NULL;  -- no token at all
    END IF;
    -- Reduce: parentheses around one term, AND before OR (an OR is reduced
    -- only when no AND touches its operands).
    LOOP
        v_prev := v_expr;
        v_expr := regexp_replace(v_expr, '\(([TF])\)', '\1', 'g');
        v_expr := regexp_replace(v_expr, 'T&T', 'T');
        v_expr := regexp_replace(v_expr, '[TF]&[TF]', 'F');
        v_expr := regexp_replace(v_expr, '(^|[(|])([TF])\|([TF])($|[)|])',
                                 CASE WHEN substring(v_expr from '(?:^|[(|])([TF]\|[TF])(?:$|[)|])') ~ 'T'
                                      THEN '\1T\4' ELSE '\1F\4' END);
        EXIT WHEN v_expr IS NOT DISTINCT FROM v_prev;
    END LOOP;
    IF v_expr NOT IN ('T', 'F') THEN
        RETURN NULL;  -- not a well-formed expression
    END IF;
    RETURN v_expr = 'T';
END
$fn$;
COMMENT ON FUNCTION airlock.license_allowed(text) IS
    'Whether an SPDX license expression is allowed by the active allowlist: an identifier must be listed (case-insensitive); A OR B needs one side, A AND B both (AND binds tighter, parentheses group); NULL for an empty, blank, malformed or over-1,000-character expression.';
REVOKE ALL ON FUNCTION airlock.license_allowed(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION airlock.license_allowed(text)
    TO registry_owner, registry_app, registry_readonly;

-- ---------------------------------------------------------------------------
-- airlock.v_users: the seed 002 users row (roles text[]) from core.
-- ---------------------------------------------------------------------------
CREATE VIEW airlock.v_users AS
SELECT
    u.id,
    u.username,
    u.email,
    ARRAY(
        SELECT r.name
          FROM core.user_roles ur
          JOIN core.roles r ON r.id = ur.role_id
         WHERE ur.user_id = u.id
           AND ur.organization_id IS NULL
           AND r.application = 'airlock'
         ORDER BY r.name
    ) AS roles,
    u.created_at,
    u.updated_at
FROM core.users u
WHERE u.deleted_at IS NULL;
COMMENT ON VIEW airlock.v_users IS
    'Seed 002 compatibility: one row per live user with roles text[] rebuilt from the global airlock role grants in core.user_roles. Read-only.';
COMMENT ON COLUMN airlock.v_users.id IS 'core.users.id';
COMMENT ON COLUMN airlock.v_users.username IS 'core.users.username';
COMMENT ON COLUMN airlock.v_users.email IS 'core.users.email';
COMMENT ON COLUMN airlock.v_users.roles IS 'Names of the airlock roles granted globally (submitter, reviewer, approver, admin), sorted.';
COMMENT ON COLUMN airlock.v_users.created_at IS 'core.users.created_at';
COMMENT ON COLUMN airlock.v_users.updated_at IS 'core.users.updated_at';

-- ---------------------------------------------------------------------------
-- Privileges (docs/security.md, the matrix): DML for the application, never
-- TRUNCATE; check_results is append-only for it; SELECT for read-only; DML
-- for the owner group (no TRIGGER, REFERENCES, TRUNCATE, MAINTAIN).
-- ---------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE, DELETE
    ON airlock.package_submissions, airlock.package_requests, airlock.packages,
       airlock.workflows, airlock.package_usage, airlock.license_allowlist
    TO registry_app;
GRANT SELECT, INSERT ON airlock.check_results TO registry_app;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON airlock.package_submissions, airlock.package_requests, airlock.packages,
       airlock.workflows, airlock.check_results, airlock.package_usage, airlock.license_allowlist
    TO registry_owner;
GRANT SELECT
    ON airlock.package_submissions, airlock.package_requests, airlock.packages,
       airlock.workflows, airlock.check_results, airlock.package_usage, airlock.license_allowlist
    TO registry_readonly;
GRANT SELECT ON airlock.v_users TO registry_app, registry_readonly, registry_owner;
