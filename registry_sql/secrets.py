"""Secret values (credential hashes, and raw secrets passed by mistake) never travel.

Which columns are secret is not written here: the schema says it (``[secret: col]`` in a table
comment, or a column comment starting with ``[secret]``; see docs/security.md),
``registry-sql generate`` reads it, and the generated code

* registers each table's secret columns (:func:`register_secret_columns`), so that translated
  errors mask their values (:func:`mask_error`, applied once, in
  :func:`registry_sql.errors.translate_error`);
* wraps a secret parameter with :func:`secret_param`: its format is checked against the
  column's CHECK constraints *before* anything is sent (a plaintext password never reaches the
  server, its log or an error), and the value travels as :class:`Secret`, whose ``repr`` is
  masked (the ``DB_ECHO`` log prints parameters with ``%r``);
* declares secret row fields with ``Field(repr=False)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from registry_sql.errors import InvalidInput, RegistrySqlError

MASK = "***"

# Secret columns by table ("core.users" -> {"hashed_password"}), registered by generated code.
_SECRET_COLUMNS: dict[str, frozenset[str]] = {}

_KEY_RE = re.compile(
    r"Key \((?P<cols>.*?)\)=\((?P<vals>.*)\) (?:already exists|conflicts with|is "
    r"not present|is still referenced)",
    re.S,
)
_FAILING_ROW_RE = re.compile(r"Failing row contains \(.*\)\.?", re.S)


class Secret(str):
    """A ``str`` whose ``repr`` is masked. psycopg sends it as the text it is."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(MASK)


def register_secret_columns(table: str, columns: Iterable[str]) -> None:
    """Record the secret columns of ``schema.table`` (called by generated models)."""
    _SECRET_COLUMNS[table] = frozenset(columns)


def secret_columns(table: str | None) -> frozenset[str]:
    """The registered secret columns of ``schema.table`` (empty when none or unknown)."""
    if table is None:
        return frozenset()
    return _SECRET_COLUMNS.get(table, frozenset())


def secret_param(
    value: str | None,
    *,
    query: str,
    name: str,
    formats: Sequence[str] = (),
    max_length: int | None = None,
    constraint: str | None = None,
    table: str | None = None,
) -> Secret | None:
    """Check a secret parameter's format client-side and wrap it as :class:`Secret`.

    ``formats`` are the regular expressions of the column's CHECK constraints (one must match),
    ``max_length`` its length limit, ``constraint`` and ``table`` where they come from. A value
    that fails is refused here, before it is sent (``InvalidInput`` with ``sqlstate`` None and no
    cause); the error names the parameter and the constraint, never the value.
    """
    where = f" ({constraint})" if constraint else ""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(
            f"{query}: parameter {name} must be a str (a hash), got {type(value).__name__}; "
            "the value was not sent",
            field=name,
            query=query,
            table=table,
        )
    too_long = max_length is not None and len(value) > max_length
    if too_long or (formats and ("\n" in value or not any(re.search(f, value) for f in formats))):
        expected = f" (at most {max_length} characters)" if too_long else ""
        raise InvalidInput(
            f"{query}: parameter {name} does not look like the hash this column stores{expected}"
            f"{where}; the value was not sent to the database and is not shown. Pass the hash "
            "(never the plaintext secret): hash it first",
            field=name,
            query=query,
            constraint=constraint,
            table=table,
        )
    return value if isinstance(value, Secret) else Secret(value)


def _mask_text(text: str | None, secrets: frozenset[str], values: list[str]) -> str | None:
    if text is None:
        return None
    text = _FAILING_ROW_RE.sub(
        f"Failing row contains ({MASK}: values withheld, the table has secret columns).", text
    )
    for value in values:
        if value:
            text = text.replace(value, MASK)
    return text


def mask_error(error: RegistrySqlError) -> RegistrySqlError:
    """Mask the values of secret columns in a translated error's message and detail.

    Keys in details (``Key (key_hash)=(...) already exists``) lose the secret values; a failing
    row (``Failing row contains (...)``) of a table with secret columns is withheld whole. Sets
    ``error.masked`` so the caller raises it without the driver error as its cause.
    """
    secrets = secret_columns(error.table)
    if not secrets:
        return error
    values: list[str] = []
    m = _KEY_RE.search(error.detail or "")
    if m is not None:
        cols = [c.strip() for c in m["cols"].split(",")]
        vals = [v.strip() for v in m["vals"].split(",")]
        if len(cols) == len(vals):
            values = [v for c, v in zip(cols, vals, strict=True) if c in secrets]
        elif any(c in secrets for c in cols):
            values = [m["vals"]]
    failing_row = _FAILING_ROW_RE.search(error.detail or "") is not None
    if not values and not failing_row:
        return error
    error.message = _mask_text(error.message, secrets, values) or ""
    error.args = (error.message,)
    error.detail = _mask_text(error.detail, secrets, values)
    setattr(error, "masked", True)  # noqa: B010 - not a declared attribute of the hierarchy
    return error


def sanitized_cause(exc: Exception, error: RegistrySqlError) -> Exception:
    """A stand-in for the driver error ``exc`` of a masked ``error``: the same class (so
    ``except psycopg.errors.CheckViolation`` on ``__cause__`` still works), carrying only the
    masked message, not the driver's DETAIL and diagnostics."""
    try:
        return type(exc)(error.message)
    except Exception:
        return RuntimeError(error.message)


def is_masked(error: BaseException) -> bool:
    """True when :func:`mask_error` withheld values from ``error`` (raise it ``from None``)."""
    return bool(getattr(error, "masked", False))
