"""Alembic environment: run migrations on the connection handed in by ``shouwang.records.tables.migrate``."""

from alembic import context

# Every module that defines tables on the shared metadata, so autogenerate
# sees the whole schema and never proposes dropping a feature's tables.
from shouwang.records import fieldops_tables as fieldops_records  # noqa: F401
from shouwang.records.tables import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the product always hands a connection
    raise RuntimeError("run migrations through shouwang.records.tables.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
)
with context.begin_transaction():
    context.run_migrations()
