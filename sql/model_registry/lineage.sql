/*
  model_registry.package_lineage: the package dependency graph (seed 000
  "Lineage tracking"), edges parent -> child ("child was fine_tuned from
  parent", "child was trained_on_dataset parent", ...).

  The graph is kept acyclic by trg_package_lineage__no_cycle (SQLSTATE RS002,
  message naming both packages) and ck_package_lineage__no_self_edge.
  Traversals are still cycle-safe on their own: WITH RECURSIVE ... CYCLE
  package_id SET is_cycle USING path (PG >= 14) stops a path that revisits a
  package, and max_depth bounds the walk. In a DAG with many diamonds a
  package can be reached along several paths: results are grouped per
  package with its shortest distance (min depth).
*/

-- name: add_lineage_edge(parent_package_id, child_package_id, relationship)<!
-- record_class: LineageEdgeRow
-- Add an edge parent -> child (idempotent); returns the edge and whether it was created now.
-- Adding an existing (parent, child, relationship) edge returns the existing
-- row with created = false. An edge that would close a cycle raises
-- SQLSTATE RS002 (constraint ck_package_lineage__no_cycle) naming both
-- packages; a self-edge raises InvalidInput (ck_package_lineage__no_self_edge).
INSERT INTO model_registry.package_lineage AS l (parent_package_id, child_package_id, relationship)
VALUES (:parent_package_id, :child_package_id,
    :relationship::model_registry.lineage_relationship)
ON CONFLICT (parent_package_id, child_package_id, relationship)
    DO UPDATE SET relationship = EXCLUDED.relationship
RETURNING
    l.id, l.parent_package_id, l.child_package_id, l.relationship, l.created_at,
    (l.xmax = 0) AS "created!";

-- name: delete_lineage_edge(id)!
-- Delete one lineage edge by id; returns 1, or 0 if there was none.
DELETE FROM model_registry.package_lineage
WHERE id = :id;

-- name: list_lineage_parents(package_id)
-- record_class: LineageNeighborRow
-- The direct parents of a package (packages it derives from), with the relationship.
-- stream: yes
SELECT
    l.id AS edge_id, l.relationship, l.created_at AS linked_at,
    p.id AS package_id, p.name, p.version, p.package_type
FROM model_registry.package_lineage l
JOIN model_registry.packages p ON p.id = l.parent_package_id
WHERE l.child_package_id = :package_id   /* ix_package_lineage__child_package_id */
ORDER BY p.name, p.version, l.relationship;

-- name: list_lineage_children(package_id)
-- record_class: LineageNeighborRow
-- The direct children of a package (packages derived from it), with the relationship.
-- stream: yes
SELECT
    l.id AS edge_id, l.relationship, l.created_at AS linked_at,
    p.id AS package_id, p.name, p.version, p.package_type
FROM model_registry.package_lineage l
JOIN model_registry.packages p ON p.id = l.child_package_id
WHERE l.parent_package_id = :package_id   /* uq_package_lineage__parent_child_relationship */
ORDER BY p.name, p.version, l.relationship;

-- name: list_lineage_ancestors(package_id, max_depth)
-- record_class: LineageNodeRow
-- Every ancestor of a package up to max_depth edges away, nearest first, with its distance (1 = parent).
-- stream: yes
WITH RECURSIVE anc (package_id, depth) AS (
    SELECT l.parent_package_id, 1
      FROM model_registry.package_lineage l
     WHERE l.child_package_id = :package_id
    UNION ALL
    SELECT l.parent_package_id, a.depth + 1
      FROM anc a
      JOIN model_registry.package_lineage l ON l.child_package_id = a.package_id
     WHERE a.depth < :max_depth::int
) CYCLE package_id SET is_cycle USING path
SELECT p.id, p.name, p.version, p.package_type, min(a.depth) AS "depth!"
FROM anc a
JOIN model_registry.packages p ON p.id = a.package_id
WHERE NOT a.is_cycle
  AND a.package_id <> :package_id
GROUP BY p.id, p.name, p.version, p.package_type
ORDER BY "depth!", p.name, p.version;

-- name: list_lineage_descendants(package_id, max_depth)
-- record_class: LineageNodeRow
-- Every descendant of a package up to max_depth edges away, nearest first, with its distance (1 = child).
-- stream: yes
WITH RECURSIVE des (package_id, depth) AS (
    SELECT l.child_package_id, 1
      FROM model_registry.package_lineage l
     WHERE l.parent_package_id = :package_id
    UNION ALL
    SELECT l.child_package_id, d.depth + 1
      FROM des d
      JOIN model_registry.package_lineage l ON l.parent_package_id = d.package_id
     WHERE d.depth < :max_depth::int
) CYCLE package_id SET is_cycle USING path
SELECT p.id, p.name, p.version, p.package_type, min(d.depth) AS "depth!"
FROM des d
JOIN model_registry.packages p ON p.id = d.package_id
WHERE NOT d.is_cycle
  AND d.package_id <> :package_id
GROUP BY p.id, p.name, p.version, p.package_type
ORDER BY "depth!", p.name, p.version;

-- name: get_lineage_graph(package_id, max_depth)^
-- record_class: LineageGraphRow
-- The lineage of a package as one graph: its ancestors and descendants (nodes) and the edges between them.
-- nodes: [{"id", "name", "version", "package_type", "depth"}], depth 0 for
-- the package itself, -n for an ancestor n edges up, +n for a descendant n
-- edges down (shortest distance), sorted by depth then name.
-- edges: [{"id", "parent_package_id", "child_package_id", "relationship"}],
-- every edge whose two ends are both nodes, oldest first.
-- Raises NotFound when the package does not exist.
WITH RECURSIVE anc (package_id, depth) AS (
    SELECT l.parent_package_id, 1
      FROM model_registry.package_lineage l
     WHERE l.child_package_id = :package_id
    UNION ALL
    SELECT l.parent_package_id, a.depth + 1
      FROM anc a
      JOIN model_registry.package_lineage l ON l.child_package_id = a.package_id
     WHERE a.depth < :max_depth::int
) CYCLE package_id SET is_cycle USING path,
des (package_id, depth) AS (
    SELECT l.child_package_id, 1
      FROM model_registry.package_lineage l
     WHERE l.parent_package_id = :package_id
    UNION ALL
    SELECT l.child_package_id, d.depth + 1
      FROM des d
      JOIN model_registry.package_lineage l ON l.parent_package_id = d.package_id
     WHERE d.depth < :max_depth::int
) CYCLE package_id SET is_cycle USING path,
nodes (package_id, depth) AS (
    SELECT :package_id::uuid, 0
    UNION ALL
    SELECT package_id, -min(depth) FROM anc
     WHERE NOT is_cycle AND package_id <> :package_id GROUP BY package_id
    UNION ALL
    SELECT package_id, min(depth) FROM des
     WHERE NOT is_cycle AND package_id <> :package_id GROUP BY package_id
)
SELECT
    r.id AS root_id,
    (SELECT jsonb_agg(jsonb_build_object(
                'id', p.id, 'name', p.name, 'version', p.version,
                'package_type', p.package_type, 'depth', n.depth)
            ORDER BY n.depth, p.name, p.version)
       FROM nodes n
       JOIN model_registry.packages p ON p.id = n.package_id) AS "nodes!",
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
                'id', l.id, 'parent_package_id', l.parent_package_id,
                'child_package_id', l.child_package_id, 'relationship', l.relationship)
            ORDER BY l.created_at, l.id), '[]'::jsonb)
       FROM model_registry.package_lineage l
      WHERE l.parent_package_id IN (SELECT package_id FROM nodes)
        AND l.child_package_id IN (SELECT package_id FROM nodes)) AS "edges!"
FROM model_registry.packages r
WHERE r.id = :package_id;
