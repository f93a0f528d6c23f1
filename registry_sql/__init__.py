"""registry-sql: a schema-first PostgreSQL data layer.

The SQL is the source of truth: migrations in ``migrations/``, named queries in ``sql/``. Typed
functions and row models are generated per schema (``registry_sql.core`` ...); the runtime lives in
``registry_sql.db`` (connections, pools, transactions, tenant context),
``registry_sql.settings`` and ``registry_sql.errors``.
"""

from __future__ import annotations

__version__ = "0.1.0"
