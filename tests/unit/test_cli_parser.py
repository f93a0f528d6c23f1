"""The CLI parser is cheap: building it imports no seed, tour, demo or migration module."""

from __future__ import annotations

import subprocess
import sys

from registry_sql import cli, seeds


def test_building_the_parser_imports_no_seed_tour_or_migration_module() -> None:
    code = (
        "import sys\n"
        "from registry_sql.cli import build_parser\n"
        "build_parser().parse_args(['seed', '--embedded'])\n"
        "heavy = ('registry_sql.seeds', 'registry_sql.tours', 'registry_sql.demo',\n"
        "         'registry_sql.db', 'registry_sql.migrate', 'yoyo')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_the_seed_size_default_shown_in_help_is_the_seeds_default() -> None:
    assert cli.SEED_DEFAULT_SIZE == seeds.DEFAULT_SIZE
