"""Deploy phases: which pending migrations run before the new code ships, which after.

A migration whose id is ``NNNN_post_<schema>_<what>`` may only run AFTER the application code of
its release is deployed (the "contract" half of expand/contract: validating a constraint the new
code guarantees, dropping what the old code still used). Every other migration, including the
ones named ``NNNN_pre_<schema>_<what>`` to make the intent visible, is safe while the OLD code
still runs, and runs before the deploy.

``registry-sql migrate --phase pre`` applies the pending migrations in order up to, not including,
the first pending post migration. ``--phase post`` applies the pending post migrations, and
refuses when a pending pre-deploy migration comes before one of them (run ``--phase pre``
first). Without ``--phase``, everything pending runs (development, tests, a stopped service).
See docs/migrations.md, "Deploy phases".
"""

from __future__ import annotations

import re
from typing import Any

from registry_sql.errors import MigrationError

PHASES = ("pre", "post")
_POST = re.compile(r"^\d{4}_post_")
_PRE = re.compile(r"^\d{4}_pre_")


def phase_of(migration_id: str) -> str:
    """``"post"`` for ``NNNN_post_*`` migrations, ``"pre"`` for every other one."""
    return "post" if _POST.match(migration_id) else "pre"


def is_marked_pre(migration_id: str) -> bool:
    return bool(_PRE.match(migration_id))


def select_phase(pending: Any, phase: str) -> list[Any]:
    """The pending yoyo migrations (in apply order) that ``phase`` applies."""
    if phase not in PHASES:
        raise MigrationError(f"unknown phase {phase!r}: use one of {', '.join(PHASES)}")
    ordered = list(pending)
    if phase == "pre":
        selected = []
        for migration in ordered:
            if phase_of(migration.id) == "post":
                break
            selected.append(migration)
        return selected
    posts = [m for m in ordered if phase_of(m.id) == "post"]
    if not posts:
        return []
    last = ordered.index(posts[-1])
    blocking = [m.id for m in ordered[:last] if phase_of(m.id) == "pre"]
    if blocking:
        raise MigrationError(
            f"--phase post: pre-deploy migration(s) {', '.join(blocking)} are pending before "
            f"{posts[-1].id}; run `registry-sql migrate --phase pre` (and deploy the code) first"
        )
    return posts
