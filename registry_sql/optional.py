"""Choosing the variant of a query with optional blocks (``/*? AND col = :x ?*/``).

The generator writes every variant of such a query as a static statement of its own (see
docs/queries.md, "Optional filters"); the generated function calls :func:`choose_variant` with its
parameters to pick the one whose blocks are exactly those given. No SQL is assembled at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from registry_sql.errors import InvalidInput


def choose_variant(
    query: str, params: Mapping[str, object], blocks: Sequence[Sequence[str]]
) -> int:
    """The index of the variant to run: bit i set when every parameter of block i is given.

    A block whose parameters are only partly given (a keyset cursor's ``after_created_at``
    without ``after_id``) is an :class:`InvalidInput` naming what is missing.
    """
    mask = 0
    for index, names in enumerate(blocks):
        given = [name for name in names if params.get(name) is not None]
        if len(given) == len(names):
            mask |= 1 << index
        elif given:
            missing = [name for name in names if name not in given]
            raise InvalidInput(
                f"{query}: {', '.join(missing)} must be given together with "
                f"{', '.join(given)} (they fill one optional filter); pass all of them, or none",
                field=missing[0],
                query=query,
            )
    return mask
