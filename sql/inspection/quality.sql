/*
  Quality figures over inspection.lots, inspections and defects. Defects
  reviewed as false_positive are not counted.
*/

-- name: defect_rate_by_lot(part_id, created_from, created_to)
-- record_class: DefectRateByLotRow
-- Per lot of a part (None: every part) created in a window: inspections, units sampled, defects, defects per sampled unit, rejection rate.
SELECT
    l.id AS lot_id,
    l.lot_number,
    l.part_id,
    l.status,
    l.quantity,
    l.quantity_rejected,
    (SELECT count(*) FROM inspection.inspections i WHERE i.lot_id = l.id) AS "inspections!",
    (SELECT COALESCE(sum(i.sample_size), 0) FROM inspection.inspections i
      WHERE i.lot_id = l.id) AS "units_sampled!",
    (SELECT count(*) FROM inspection.defects d
       JOIN inspection.inspections i ON i.id = d.inspection_id
      WHERE i.lot_id = l.id AND d.review_status <> 'false_positive') AS "defects!",
    round(l.quantity_rejected::numeric / l.quantity, 4) AS "rejection_rate!"
FROM inspection.lots l
WHERE (:part_id::uuid IS NULL OR l.part_id = :part_id)
  AND l.created_at >= :created_from::timestamptz
  AND l.created_at < :created_to::timestamptz
ORDER BY l.created_at, l.id;

-- name: defect_rate_by_part(created_from, created_to)
-- record_class: DefectRateByPartRow
-- Per part, over its lots created in a window: lots, units, rejected units, rejection rate, defects (not false positives).
SELECT
    p.id AS part_id,
    p.part_number,
    count(l.id) AS "lots!",
    COALESCE(sum(l.quantity), 0) AS "units!",
    COALESCE(sum(l.quantity_rejected), 0) AS "units_rejected!",
    round(COALESCE(sum(l.quantity_rejected), 0)::numeric / NULLIF(sum(l.quantity), 0), 4)
        AS rejection_rate,
    (SELECT count(*) FROM inspection.defects d
       JOIN inspection.inspections i ON i.id = d.inspection_id
       JOIN inspection.lots l2 ON l2.id = i.lot_id
      WHERE l2.part_id = p.id AND d.review_status <> 'false_positive'
        AND l2.created_at >= :created_from::timestamptz
        AND l2.created_at < :created_to::timestamptz) AS "defects!"
FROM inspection.parts p
LEFT JOIN inspection.lots l
       ON l.part_id = p.id
      AND l.created_at >= :created_from::timestamptz
      AND l.created_at < :created_to::timestamptz
GROUP BY p.id, p.part_number
ORDER BY p.part_number;

-- name: defects_per_day(created_from, created_to)
-- record_class: DefectsPerDayRow
-- Defects (not false positives) per UTC day, type and severity over a window, by day then most severe.
SELECT
    (date_trunc('day', d.created_at AT TIME ZONE 'UTC'))::date AS "day!",
    d.defect_type,
    d.severity,
    count(*) AS "defects!"
FROM inspection.defects d
WHERE d.created_at >= :created_from::timestamptz
  AND d.created_at < :created_to::timestamptz
  AND d.review_status <> 'false_positive'
GROUP BY 1, d.defect_type, d.severity
ORDER BY 1, d.severity DESC, d.defect_type;
