"""Adding a schema is: migrations, ``sql/<schema>/*.sql``, ``registry-sql generate``.

In a temporary copy of the project a throw-away schema ``zoo`` is added that way, and nothing
else is edited: the generated package registers the schema's constraint sentences and enum labels,
so a bad row comes back translated, and every place that lists schemas (codegen, wipe/reset,
the demo, the tests) sees the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MIGRATION = """\
-- 0900_zoo_animals: a throw-away schema for the test.
--
-- WHY: shows what adding a schema takes.

CREATE SCHEMA zoo;

CREATE TYPE zoo.diet AS ENUM ('herbivore', 'carnivore', 'omnivore');

CREATE TABLE zoo.animals (
    id    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name  text NOT NULL,
    diet  zoo.diet NOT NULL,
    legs  int NOT NULL,
    CONSTRAINT ck_animals__legs_even CHECK (legs % 2 = 0),
    CONSTRAINT ck_animals__name_nonempty CHECK (name <> '')
);

COMMENT ON CONSTRAINT ck_animals__legs_even ON zoo.animals IS
    'legs must be an even number (animals walk on pairs of legs)';
"""

ROLLBACK = "DROP SCHEMA zoo CASCADE;\n"

QUERIES = """\
-- name: create_animal(name, diet, legs)<!
-- record_class: AnimalRow
-- Add an animal.
INSERT INTO zoo.animals (name, diet, legs) VALUES (:name, :diet, :legs)
RETURNING id, name, diet, legs;

-- name: list_animals()
-- record_class: AnimalRow
-- Every animal, by name.
-- stream: yes
SELECT id, name, diet, legs FROM zoo.animals ORDER BY name;
"""

PROBE = """
import json, sys
import psycopg
from registry_sql import migrate
from registry_sql.errors import InvalidInput
from registry_sql.paths import schema_names

url = sys.argv[1]
migrate.apply(url)
import registry_sql.zoo as zoo
from registry_sql.zoo.aio import create_animal as acreate_animal  # the async twin exists

out = {"schemas": schema_names(), "messages": {}}
with psycopg.connect(url, autocommit=True) as conn:
    row = zoo.create_animal(conn, name="Ada", diet=zoo.Diet.OMNIVORE, legs=2)
    out["created"] = [row.name, str(row.diet), row.legs]
    out["streamed"] = [a.name for a in zoo.stream_list_animals(conn)]
    for case, kwargs in {
        "legs": {"name": "Tri", "diet": "herbivore", "legs": 3},
        "name": {"name": "", "diet": "herbivore", "legs": 4},
        "diet": {"name": "Bob", "diet": "vegan", "legs": 4},
    }.items():
        try:
            zoo.create_animal(conn, **kwargs)
        except InvalidInput as exc:
            out["messages"][case] = [str(exc), exc.field]
print(json.dumps(out))
"""


def _tree(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_a_new_schema_needs_only_migrations_sql_and_generate(
    server_url: str, empty_url: str, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "_data")
    for folder in ("registry_sql", "sql", "migrations"):
        shutil.copytree(ROOT / folder, project / folder, ignore=ignore)
    before = _tree(project)

    (project / "migrations" / "0900_zoo_animals.sql").write_text(MIGRATION)
    (project / "migrations" / "0900_zoo_animals.rollback.sql").write_text(ROLLBACK)
    (project / "sql" / "zoo").mkdir()
    (project / "sql" / "zoo" / "animals.sql").write_text(QUERIES)

    env = {**os.environ, "PYTHONPATH": str(project)}
    for name in ("REGISTRY_SQL_SQL_DIR", "REGISTRY_SQL_MIGRATIONS_DIR", "DATABASE_URL"):
        env.pop(name, None)
    generate = subprocess.run(
        [sys.executable, "-m", "registry_sql.cli", "generate", "--scratch-url", server_url],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert generate.returncode == 0, generate.stderr

    after = _tree(project)
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert changed, "nothing was generated"
    outside = [
        p for p in changed if not p.startswith(("migrations/", "sql/zoo/", "registry_sql/zoo/"))
    ]
    assert outside == []  # the runtime, codegen and the other schemas are untouched
    assert "registry_sql/zoo/animals.py" in changed
    assert "registry_sql/zoo/aio/animals.py" in changed

    probe = subprocess.run(
        [sys.executable, "-c", PROBE, empty_url],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.strip().splitlines()[-1])  # after what migrate prints
    assert result["schemas"][-1] == "zoo" and result["schemas"][0] == "core"
    assert result["created"] == ["Ada", "omnivore", 2]
    assert result["streamed"] == ["Ada"]
    legs, legs_field = result["messages"]["legs"]
    assert legs_field == "legs"
    assert legs == (
        "zoo.create_animal: zoo.animals: legs must be an even number (animals walk on pairs of "
        "legs) (ck_animals__legs_even)"
    )
    name, name_field = result["messages"]["name"]  # no comment: the generic sentence
    assert name_field == "name" and "name must not be empty (ck_animals__name_nonempty)" in name
    diet, _ = result["messages"]["diet"]
    assert "'vegan' is not a valid zoo.diet value; use one of: herbivore, carnivore, omnivore" in (
        diet
    )
