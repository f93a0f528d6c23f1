-- Rollback of 0041_airlock_reference_data.
--
-- WHY: removes the six default allowlist entries the migration added (only
-- those still unchanged by name; entries administrators added stay).

SET LOCAL lock_timeout = '5s';

DELETE FROM airlock.license_allowlist
 WHERE created_by IS NULL
   AND license_identifier IN ('MIT', 'Apache-2.0', 'BSD-2-Clause', 'BSD-3-Clause', 'ISC', '0BSD');
