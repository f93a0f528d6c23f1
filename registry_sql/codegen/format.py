"""Generated modules go through ``ruff format`` before they are written or compared.

The formatter runs with fixed options (``--isolated``, line length 100, Python 3.11), not with
whatever configuration surrounds the output folder, so the same SQL always gives the same bytes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from registry_sql.errors import RegistrySqlError

RUFF_OPTIONS = ("--isolated", "--no-cache", "--line-length", "100", "--target-version", "py311")


class FormatError(RegistrySqlError):
    """``ruff format`` is missing or refused a generated file."""


def _ruff() -> list[str]:
    beside = Path(sys.executable).with_name("ruff")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ruff")
    if found:
        return [found]
    raise FormatError(
        "registry-sql generate formats its output with ruff, which is not installed; "
        "pip install 'registry-sql[codegen]'"
    )


def format_files(files: dict[Path, str]) -> dict[Path, str]:
    """The same files, formatted by one ``ruff format`` run over a temporary copy."""
    if not files:
        return files
    with tempfile.TemporaryDirectory(prefix="registry_sql_fmt_") as tmp:
        names: dict[Path, Path] = {}
        for number, (path, text) in enumerate(sorted(files.items())):
            copy = Path(tmp) / f"m{number}" / path.name
            copy.parent.mkdir()
            copy.write_text(text, encoding="utf-8")
            names[path] = copy
        done = subprocess.run(
            [*_ruff(), "format", *RUFF_OPTIONS, "--quiet", tmp],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "NO_COLOR": "1"},
        )
        if done.returncode != 0:
            raise FormatError(
                "ruff format failed on the generated code (a generator bug; please report it):\n"
                + (done.stderr or done.stdout).strip()
            )
        return {path: copy.read_text(encoding="utf-8") for path, copy in names.items()}
