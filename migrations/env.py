"""Alembic environment: always runs on a connection the caller has already keyed (SQLCipher)."""

from alembic import context

from evidence.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations through locker (evidence.database.migrate): the database is encrypted")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
