"""Alembic environment: runs on the connection handed in by pipeline.db.upgrade()."""

from alembic import context
from sqlmodel import SQLModel

import pipeline.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through pipeline.db.upgrade(engine)")
context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
