/*
  inspection.parts: part definitions with specifications and tolerances
  (catalog §1.3.9). Every write runs inside
  `transaction(conn, user_id=...)`: the change trail (core.audit_log) refuses
  changes without an actor.
*/

-- name: create_part(part_number, revision, name, description, part_type, material, specifications, tolerances, created_by)<!
-- record_class: PartRow
-- Create a part; Conflict on uq_parts__part_number if the number is taken.
INSERT INTO inspection.parts (
    part_number, revision, name, description, part_type, material, specifications, tolerances,
    created_by, updated_by
)
VALUES (
    :part_number, COALESCE(:revision::text, 'A'), :name, :description, :part_type,
    :material,
    COALESCE(:specifications::jsonb, '{}'::jsonb), COALESCE(:tolerances::jsonb, '{}'::jsonb),
    :created_by, :created_by
)
RETURNING
    id, part_number, revision, name, description, part_type, material, specifications,
    tolerances, is_active, created_at, updated_at, created_by, updated_by;

-- name: get_part(id)^
-- record_class: PartRow
-- Get a part by id.
SELECT
    id, part_number, revision, name, description, part_type, material, specifications,
    tolerances, is_active, created_at, updated_at, created_by, updated_by
FROM inspection.parts
WHERE id = :id;

-- name: get_part_by_number(part_number)^
-- record_class: PartRow
-- Get a part by its part number.
SELECT
    id, part_number, revision, name, description, part_type, material, specifications,
    tolerances, is_active, created_at, updated_at, created_by, updated_by
FROM inspection.parts
WHERE part_number = :part_number;

-- name: update_part(id, revision, name, description, material, specifications, tolerances, is_active, updated_by)<!
-- record_class: PartRow
-- Change a part; a parameter left None keeps its value (only changed columns reach the trail).
UPDATE inspection.parts
SET revision       = COALESCE(:revision::text, revision),
    name           = COALESCE(:name::text, name),
    description    = COALESCE(:description::text, description),
    material       = COALESCE(:material::text, material),
    specifications = COALESCE(:specifications::jsonb, specifications),
    tolerances     = COALESCE(:tolerances::jsonb, tolerances),
    is_active      = COALESCE(:is_active::boolean, is_active),
    updated_by     = :updated_by
WHERE id = :id
RETURNING
    id, part_number, revision, name, description, part_type, material, specifications,
    tolerances, is_active, created_at, updated_at, created_by, updated_by;

-- name: list_parts(is_active, part_type, limit, offset)
-- record_class: PartRow
-- List parts by part number, optionally only active ones or of one type (page with limit/offset; count_parts gives the total).
SELECT
    id, part_number, revision, name, description, part_type, material, specifications,
    tolerances, is_active, created_at, updated_at, created_by, updated_by
FROM inspection.parts
WHERE (:is_active::boolean IS NULL OR is_active = :is_active)
  AND (:part_type::inspection.part_type IS NULL OR part_type = :part_type)
ORDER BY part_number
LIMIT :limit::int OFFSET COALESCE(:offset::int, 0);

-- name: count_parts(is_active, part_type)$
-- The number of parts list_parts pages through.
SELECT count(*) AS "total!"
FROM inspection.parts
WHERE (:is_active::boolean IS NULL OR is_active = :is_active)
  AND (:part_type::inspection.part_type IS NULL OR part_type = :part_type);
