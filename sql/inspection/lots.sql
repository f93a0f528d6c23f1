/*
  inspection.lots: production lots (batches of one part). Writes run inside
  `transaction(conn, user_id=...)` (the change trail needs the actor).
  Services cannot delete lots (no DELETE privilege, catalog Q5).
*/

-- name: create_lot(lot_number, part_id, quantity, production_date, production_line, supplier, production_metadata, created_by)<!
-- record_class: LotRow
-- Create a lot of a part; Conflict on uq_lots__lot_number if the number is taken.
INSERT INTO inspection.lots (
    lot_number, part_id, quantity, production_date, production_line, supplier,
    production_metadata, created_by, updated_by
)
VALUES (
    :lot_number, :part_id, :quantity, :production_date, :production_line,
    :supplier,
    COALESCE(:production_metadata::jsonb, '{}'::jsonb), :created_by, :created_by
)
RETURNING
    id, lot_number, part_id, status, quantity, quantity_rejected, production_date,
    production_line, supplier, production_metadata, created_at, updated_at, created_by,
    updated_by;

-- name: get_lot(id)^
-- record_class: LotRow
-- Get a lot by id.
SELECT
    id, lot_number, part_id, status, quantity, quantity_rejected, production_date,
    production_line, supplier, production_metadata, created_at, updated_at, created_by,
    updated_by
FROM inspection.lots
WHERE id = :id;

-- name: get_lot_by_number(lot_number)^
-- record_class: LotRow
-- Get a lot by its lot number.
SELECT
    id, lot_number, part_id, status, quantity, quantity_rejected, production_date,
    production_line, supplier, production_metadata, created_at, updated_at, created_by,
    updated_by
FROM inspection.lots
WHERE lot_number = :lot_number;

-- name: update_lot(id, status, quantity_rejected, production_metadata, updated_by)<!
-- record_class: LotRow
-- Change a lot's status, rejected quantity or metadata; None keeps the value.
UPDATE inspection.lots
SET status              = COALESCE(:status::inspection.lot_status, status),
    quantity_rejected   = COALESCE(:quantity_rejected::int, quantity_rejected),
    production_metadata = COALESCE(:production_metadata::jsonb, production_metadata),
    updated_by          = :updated_by
WHERE id = :id
RETURNING
    id, lot_number, part_id, status, quantity, quantity_rejected, production_date,
    production_line, supplier, production_metadata, created_at, updated_at, created_by,
    updated_by;

-- name: list_lots_for_part(part_id, status, limit, offset)
-- record_class: LotRow
-- List the lots of a part, newest first, optionally of one status (limit/offset; count_lots_for_part gives the total).
SELECT
    id, lot_number, part_id, status, quantity, quantity_rejected, production_date,
    production_line, supplier, production_metadata, created_at, updated_at, created_by,
    updated_by
FROM inspection.lots
WHERE part_id = :part_id
  AND (:status::inspection.lot_status IS NULL OR status = :status)
ORDER BY created_at DESC, id DESC
LIMIT :limit::int OFFSET COALESCE(:offset::int, 0);

-- name: count_lots_for_part(part_id, status)$
-- The number of lots list_lots_for_part pages through.
SELECT count(*) AS "total!"
FROM inspection.lots
WHERE part_id = :part_id
  AND (:status::inspection.lot_status IS NULL OR status = :status);
