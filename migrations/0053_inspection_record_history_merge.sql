-- 0053_inspection_record_history_merge: inspection.jsonb_merge_agg(jsonb), the
-- aggregate that folds a record's trail events into its state after each one.
--
-- WHY: inspection.list_record_history rebuilt each version's state with a
-- recursive CTE over core.audit_log. Citus plans a recursive CTE over a
-- distributed table only with a filter on its distribution column, which the
-- audit log (distributed by id) cannot have: the query failed on Citus. As a
-- running aggregate (a window over the events, ordered by version) the same
-- fold needs no recursion and runs on every engine:
--   state(k) = piece(first) || piece(first + 1) || ... || piece(k)
-- where `||` is jsonb concatenation (a later value of a key wins).
-- depends: 0052_inspection_change_trail

SET LOCAL lock_timeout = '5s';

CREATE AGGREGATE inspection.jsonb_merge_agg(jsonb) (
    SFUNC = pg_catalog.jsonb_concat,
    STYPE = jsonb,
    INITCOND = '{}'
);
COMMENT ON AGGREGATE inspection.jsonb_merge_agg(jsonb) IS
    'Folds jsonb objects left to right with || (a later value of a key wins; NULL inputs are skipped); used as a running window aggregate by list_record_history.';
REVOKE ALL ON FUNCTION inspection.jsonb_merge_agg(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inspection.jsonb_merge_agg(jsonb)
    TO registry_owner, registry_app, registry_readonly;
