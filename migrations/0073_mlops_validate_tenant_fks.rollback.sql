-- Rollback of 0073_mlops_validate_tenant_fks.
--
-- WHY: PostgreSQL cannot mark a validated constraint NOT VALID again; the keys stay validated,
-- which is a stronger state than 0072 left and changes nothing for any row. 0072's rollback
-- replaces them anyway.

SET LOCAL lock_timeout = '5s';
