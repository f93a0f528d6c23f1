-- 0006_model_registry_lineage: the package dependency graph (package_lineage)
-- and the trigger that keeps it acyclic.
--
-- WHY: seed 000 tracks "Package dependency graph" edges parent -> child (a
-- model fine-tuned from another, trained on a dataset, ...). A lineage graph
-- must be a DAG: a package cannot be its own ancestor. A CHECK rejects the
-- self-edge; a cycle through other packages needs a graph walk, so a BEFORE
-- INSERT/UPDATE trigger rejects an edge that would close a cycle, with
-- SQLSTATE RS002 and a message naming both packages. Traversal queries
-- (sql/model_registry/lineage.sql) still use the CYCLE clause and a depth
-- limit, so even rows written with the trigger disabled cannot loop them.
-- depends: 0005_model_registry_packages

SET LOCAL lock_timeout = '5s';

CREATE TABLE model_registry.package_lineage (
    id                uuid                                NOT NULL DEFAULT gen_random_uuid(),
    parent_package_id uuid                                NOT NULL,
    child_package_id  uuid                                NOT NULL,
    relationship      model_registry.lineage_relationship NOT NULL,
    created_at        timestamptz                         NOT NULL DEFAULT now(),
    CONSTRAINT package_lineage_pkey PRIMARY KEY (id),
    -- Also serves parent lookups (leading column) and the parent FK.
    CONSTRAINT uq_package_lineage__parent_child_relationship
        UNIQUE (parent_package_id, child_package_id, relationship),
    CONSTRAINT ck_package_lineage__no_self_edge CHECK (parent_package_id <> child_package_id),
    CONSTRAINT fk_package_lineage__parent_package_id FOREIGN KEY (parent_package_id)
        REFERENCES model_registry.packages (id) ON DELETE CASCADE,
    CONSTRAINT fk_package_lineage__child_package_id FOREIGN KEY (child_package_id)
        REFERENCES model_registry.packages (id) ON DELETE CASCADE
);
COMMENT ON TABLE model_registry.package_lineage IS
    'Directed acyclic graph of packages: the child relates to the parent by `relationship`. Cycles are rejected by trg_package_lineage__no_cycle (SQLSTATE RS002).';

-- Child lookups (parents of a package, ancestors walk) and the child FK.
CREATE INDEX ix_package_lineage__child_package_id ON model_registry.package_lineage (child_package_id);

-- model_registry.forbid_lineage_cycle(): BEFORE INSERT OR UPDATE trigger.
-- An edge parent -> child closes a cycle when parent is already reachable from
-- child. The walk uses UNION (visited set), so it terminates on any graph.
-- Self-edges are left to ck_package_lineage__no_self_edge (BEFORE triggers
-- run before CHECKs, so the trigger steps aside to let the CHECK name itself).
-- Concurrency: two transactions adding a -> b and b -> a would each see no
-- cycle; a transaction-scoped advisory lock (key 7305000000000001, reserved
-- for this trigger) serializes lineage writes, which are rare.
-- Raises SQLSTATE RS002 with CONSTRAINT ck_package_lineage__no_cycle.
CREATE FUNCTION model_registry.forbid_lineage_cycle()
    RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_parent text;
    v_child  text;
BEGIN
    IF NEW.parent_package_id = NEW.child_package_id THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(7305000000000001);
    IF EXISTS (
        WITH RECURSIVE reach (package_id) AS (
            SELECT NEW.child_package_id
            UNION
            SELECT l.child_package_id
              FROM model_registry.package_lineage l
              JOIN reach r ON l.parent_package_id = r.package_id
             WHERE l.id IS DISTINCT FROM NEW.id    -- an UPDATE replaces this row
        )
        SELECT 1 FROM reach WHERE package_id = NEW.parent_package_id
    ) THEN
        SELECT p.name || ' ' || p.version INTO v_parent
          FROM model_registry.packages p WHERE p.id = NEW.parent_package_id;
        SELECT p.name || ' ' || p.version INTO v_child
          FROM model_registry.packages p WHERE p.id = NEW.child_package_id;
        RAISE EXCEPTION USING
            ERRCODE    = 'RS002',
            MESSAGE    = format('lineage edge %s -> %s would create a cycle: %s already descends from %s',
                                coalesce(v_parent, NEW.parent_package_id::text),
                                coalesce(v_child, NEW.child_package_id::text),
                                coalesce(v_parent, NEW.parent_package_id::text),
                                coalesce(v_child, NEW.child_package_id::text)),
            DETAIL     = format('parent_package_id=%s, child_package_id=%s',
                                NEW.parent_package_id, NEW.child_package_id),
            HINT       = 'Lineage must stay acyclic: check the direction of the edge (parent first, then the package derived from it).',
            CONSTRAINT = 'ck_package_lineage__no_cycle',
            SCHEMA     = 'model_registry',
            TABLE      = 'package_lineage';
    END IF;
    RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION model_registry.forbid_lineage_cycle() IS
    'Trigger function: rejects a package_lineage edge that would close a cycle (SQLSTATE RS002, constraint ck_package_lineage__no_cycle).';
REVOKE ALL ON FUNCTION model_registry.forbid_lineage_cycle() FROM PUBLIC;

CREATE TRIGGER trg_package_lineage__no_cycle
    BEFORE INSERT OR UPDATE OF parent_package_id, child_package_id ON model_registry.package_lineage
    FOR EACH ROW EXECUTE FUNCTION model_registry.forbid_lineage_cycle();

GRANT SELECT, INSERT, UPDATE, DELETE ON model_registry.package_lineage TO registry_app;
GRANT SELECT ON model_registry.package_lineage TO registry_readonly;
GRANT ALL PRIVILEGES ON model_registry.package_lineage TO registry_owner;
