"""The SQL every peer runs: the very statements registry-sql runs, in each driver's dialect.

The raw peers must run the same SQL text as the generated functions, or the comparison measures
two queries instead of two layers. So the statements are taken from the generated module
``registry_sql.model_registry.*`` (psycopg's ``%(name)s`` form, the leading ``-- name:`` and comment
lines left out, since aiosql reads those as query headers) and rewritten once, at import,
into psycopg positional ``%s`` (tuples), asyncpg ``$n`` and aiosql ``:name``. The rewrite is
mechanical and only ever applied to those static constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, LiteralString

from registry_sql.model_registry import downloads, lineage, packages

_NAMED = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class Statement:
    """One query in every dialect, with the parameter order of each."""

    name: str
    named: LiteralString  # psycopg %(name)s: what registry-sql runs
    positional: LiteralString  # psycopg %s
    positional_names: tuple[str, ...]
    dollar: str  # asyncpg $n (a name used twice reuses its number)
    dollar_names: tuple[str, ...]
    colon: str  # aiosql :name (literal %% kept doubled for psycopg)

    def args(self, params: dict[str, Any]) -> tuple[Any, ...]:
        """Positional psycopg arguments from a parameter dict."""
        return tuple(params[n] for n in self.positional_names)

    def dollar_args(self, params: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(params[n] for n in self.dollar_names)


def _without_header(sql: LiteralString) -> LiteralString:
    """The SQL after its leading ``--`` comment lines (the query's ``-- name:`` header)."""
    lines = sql.lstrip("\n").split("\n")
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines)


def _statement(name: str, sql: LiteralString) -> Statement:
    named = _without_header(sql)
    positional_names = tuple(_NAMED.findall(named))
    positional = _NAMED.sub("%s", named)
    dollar_names: list[str] = []

    def number(m: re.Match[str]) -> str:
        if m.group(1) not in dollar_names:
            dollar_names.append(m.group(1))
        return f"${dollar_names.index(m.group(1)) + 1}"

    dollar = _NAMED.sub(number, named).replace("%%", "%")
    # aiosql's psycopg adapter passes the text to psycopg as is: literal % stays doubled.
    colon = _NAMED.sub(lambda m: ":" + m.group(1), named)
    return Statement(
        name=name,
        named=named,
        positional=positional,
        positional_names=positional_names,
        dollar=dollar,
        dollar_names=tuple(dollar_names),
        colon=colon,
    )


GET_PACKAGE_BY_ID = _statement("get_package_by_id", packages.GET_PACKAGE_BY_ID)
GET_PACKAGE_BY_NAME_VERSION = _statement(
    "get_package_by_name_version", packages.GET_PACKAGE_BY_NAME_VERSION
)
LIST_PACKAGES = _statement("list_packages", packages.LIST_PACKAGES)
SEARCH_PACKAGES = _statement("search_packages", packages.SEARCH_PACKAGES)
CREATE_PACKAGE = _statement("create_package", packages.CREATE_PACKAGE)
LIST_LINEAGE_DESCENDANTS = _statement("list_lineage_descendants", lineage.LIST_LINEAGE_DESCENDANTS)
RECORD_DOWNLOAD = _statement("record_download", downloads.RECORD_DOWNLOAD)

DOWNLOAD_COLUMNS = (
    "package_id", "user_id", "downloaded_at", "access_granted", "access_check_output",
    "ip_address", "user_agent",
)
#: Binary COPY: the raw-psycopg floor for ingest (copy_downloads runs COPY_DOWNLOADS).
COPY_DOWNLOADS_BINARY: LiteralString = (
    "COPY model_registry.download_history (package_id, user_id, downloaded_at, access_granted, "
    "access_check_output, ip_address, user_agent) FROM STDIN (FORMAT BINARY)"
)
#: One-row INSERT for executemany (psycopg) and insertmanyvalues (SQLAlchemy Core builds its own).
INSERT_DOWNLOAD: LiteralString = (
    "INSERT INTO model_registry.download_history (package_id, user_id, downloaded_at, "
    "access_granted, access_check_output, ip_address, user_agent) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)

#: aiosql: the same statements, with a record_class per query (aiosql's own row mapping).
AIOSQL_QUERIES: dict[str, tuple[Statement, str, str]] = {
    # name: (statement, aiosql operation suffix, record class name)
    "get_package_by_id": (GET_PACKAGE_BY_ID, "^", "PackageRow"),
    "get_package_by_name_version": (GET_PACKAGE_BY_NAME_VERSION, "^", "PackageRow"),
    "list_packages": (LIST_PACKAGES, "", "PackageSearchRow"),
    "search_packages": (SEARCH_PACKAGES, "", "PackageSearchRow"),
    "create_package": (CREATE_PACKAGE, "<!", "PackageRow"),
    "list_lineage_descendants": (LIST_LINEAGE_DESCENDANTS, "", "LineageNodeRow"),
}


def aiosql_text() -> str:
    """The aiosql source text of :data:`AIOSQL_QUERIES` (``-- record_class:`` on line 2)."""
    parts = []
    for name, (stmt, op, record_class) in AIOSQL_QUERIES.items():
        params = ", ".join(dict.fromkeys(stmt.positional_names))
        parts.append(
            f"-- name: {name}({params}){op}\n-- record_class: {record_class}\n{stmt.colon};\n"
        )
    return "\n".join(parts)
