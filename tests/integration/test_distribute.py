"""`registry-sql distribute` on plain PostgreSQL: refused, with one clear line, nothing changed.

(On a Citus coordinator it is exercised by tests/engines/test_citus.py.)
"""

from __future__ import annotations

import psycopg
import pytest

from registry_sql.cli import main as cli_main
from registry_sql.distribute import distribute
from registry_sql.errors import ConfigError


def _tables(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [
            (str(schema), str(name))
            for schema, name in conn.execute(
                "SELECT schemaname, tablename FROM pg_tables "
                "WHERE schemaname IN ('core', 'mlops', 'model_registry', 'splunk_ta') ORDER BY 1, 2"
            ).fetchall()
        ]


def test_distribute_refuses_plain_postgresql(migrated_url: str) -> None:
    before = _tables(migrated_url)
    assert ("mlops", "projects") in before
    with pytest.raises(ConfigError, match="not a Citus coordinator.*citus extension"):
        distribute(migrated_url)
    assert _tables(migrated_url) == before


def test_the_cli_says_so_in_one_line(migrated_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["distribute", "--database-url", migrated_url]) == 1
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a Citus coordinator" in lines[0], captured.err
    assert "Traceback" not in captured.err
