"""The peers registry-sql is measured against: raw psycopg, aiosql, SQLAlchemy, asyncpg."""
