-- 0041_airlock_reference_data: the default license allowlist (catalog §1.2.9).
--
-- WHY: the license check refuses every package whose license is not on the
-- active allowlist, so an installation without entries would reject
-- everything. These six permissive licenses are the catalog's defaults
-- (MIT, Apache-2.0, BSD-2-Clause, BSD-3-Clause, ISC, 0BSD); administrators
-- add or deactivate entries with the license queries (airlock:license:manage).
-- Reference data, not sample data: it lives in a migration. The airlock roles
-- (submitter, reviewer, approver, admin) and permissions are core reference
-- data since 0004_core_reference_data.
-- depends: 0040_airlock_schema

SET LOCAL lock_timeout = '5s';

INSERT INTO airlock.license_allowlist (license_identifier, license_name, description)
VALUES
    ('MIT',          'MIT License',                              'Default (migration 0041): permissive.'),
    ('Apache-2.0',   'Apache License 2.0',                       'Default (migration 0041): permissive, with a patent grant.'),
    ('BSD-2-Clause', 'BSD 2-Clause "Simplified" License',        'Default (migration 0041): permissive.'),
    ('BSD-3-Clause', 'BSD 3-Clause "New" or "Revised" License',  'Default (migration 0041): permissive.'),
    ('ISC',          'ISC License',                              'Default (migration 0041): permissive.'),
    ('0BSD',         'BSD Zero Clause License',                  'Default (migration 0041): public-domain equivalent.');
