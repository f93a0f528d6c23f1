"""Run a whole transaction again when PostgreSQL says trying again may succeed.

Some errors are not about the request but about timing: a serialization failure or a deadlock
(:class:`~registry_sql.errors.SerializationFailure`, SQLSTATE 40001/40P01), a lock not taken in
time (:class:`~registry_sql.errors.LockTimeout`), the server restarting or the pool exhausted
(:class:`~registry_sql.errors.Unavailable`, :class:`~registry_sql.errors.PoolTimeout`). Those
classes have ``retryable = True``. :func:`retry` calls a function that runs one *whole*
transaction and calls it again, after a growing, jittered pause, when it raised one of them::

    from registry_sql.db import transaction
    from registry_sql.retry import retry

    def move_stock() -> None:
        with transaction(pool, org_id=org, isolation="serializable") as conn:
            ...  # reads and writes; the block commits or rolls back as a whole

    retry(move_stock)                       # up to 3 attempts
    retry(move_stock, attempts=5, first_delay=0.02)

The function must open and finish its transaction itself (``transaction(pool)``, or
``transaction(conn)`` on a connection that is not in a transaction): a serialization failure or a
deadlock dooms the whole transaction, so only running it again from its start can succeed. Do
not call :func:`retry` inside another transaction. Keep side effects outside the database
(e-mails, HTTP calls) until it returns.

:func:`retry` is generated from :func:`aretry` (``python -m registry_sql.codegen.async_to_sync``):
edit the async code only.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from registry_sql.errors import InvalidInput, RegistrySqlError

__all__ = ["aretry", "retry"]

T = TypeVar("T")

logger = logging.getLogger("registry_sql.retry")


def _check(attempts: int, first_delay: float, max_delay: float) -> None:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise InvalidInput(
            f"retry: attempts must be 1 or more (got {attempts!r})", field="attempts"
        )
    if first_delay < 0 or max_delay < 0:
        raise InvalidInput(
            "retry: first_delay and max_delay must be 0 or more", field="first_delay"
        )


def _delay(attempt: int, first_delay: float, max_delay: float) -> float:
    """Exponential backoff with full jitter: up to first_delay * 2**(attempt-1), capped."""
    ceiling = min(max_delay, first_delay * (2 ** (attempt - 1)))
    return random.uniform(0, ceiling)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, RegistrySqlError) and exc.retryable


# === ASYNC SOURCE: the sync twins below are generated from this section ===
async def aretry(
    fn: Callable[[], Awaitable[T]],  # sync: fn: Callable[[], T],
    *,
    attempts: int = 3,
    first_delay: float = 0.05,
    max_delay: float = 2.0,
) -> T:
    """Call ``fn()`` (one whole transaction) up to ``attempts`` times while it raises an error
    marked ``retryable``; return its result, or raise the last error.

    Other errors are raised at once. Between attempts it sleeps a random time up to
    ``first_delay * 2**(n-1)`` seconds (capped at ``max_delay``), so competing clients spread
    out. Each retry is logged at WARNING on ``registry_sql.retry``. ``fn`` runs the whole
    transaction; it is called again for each attempt.
    """
    _check(attempts, first_delay, max_delay)
    for attempt in range(1, attempts + 1):
        try:
            return await fn()
        except RegistrySqlError as exc:
            if not _retryable(exc) or attempt == attempts:
                raise
            pause = _delay(attempt, first_delay, max_delay)
            logger.warning(
                "attempt %d of %d failed (%s: %s); retrying in %.3fs",
                attempt,
                attempts,
                type(exc).__name__,
                exc,
                pause,
            )
            await asyncio.sleep(pause)  # sync: time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


# === SYNC TWINS: generated from the async source above (codegen/async_to_sync.py); DO NOT EDIT ===


def retry(
    fn: Callable[[], T],
    *,
    attempts: int = 3,
    first_delay: float = 0.05,
    max_delay: float = 2.0,
) -> T:
    """Call ``fn()`` (one whole transaction) up to ``attempts`` times while it raises an error
    marked ``retryable``; return its result, or raise the last error.

    Other errors are raised at once. Between attempts it sleeps a random time up to
    ``first_delay * 2**(n-1)`` seconds (capped at ``max_delay``), so competing clients spread
    out. Each retry is logged at WARNING on ``registry_sql.retry``. ``fn`` runs the whole
    transaction; it is called again for each attempt.
    """
    _check(attempts, first_delay, max_delay)
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except RegistrySqlError as exc:
            if not _retryable(exc) or attempt == attempts:
                raise
            pause = _delay(attempt, first_delay, max_delay)
            logger.warning(
                "attempt %d of %d failed (%s: %s); retrying in %.3fs",
                attempt,
                attempts,
                type(exc).__name__,
                exc,
                pause,
            )
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover
