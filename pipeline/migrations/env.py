"""Alembic environment: runs on the connection handed in by pipeline.db.upgrade()."""

from alembic import context
from sqlmodel import SQLModel

import pipeline.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through pipeline.db.upgrade(engine)")


def include_object(obj, name, type_, reflected, compare_to):
    # APScheduler keeps its job store in the same database and manages that table itself.
    return not (type_ == "table" and name == "apscheduler_jobs")


context.configure(
    connection=connection,
    include_object=include_object,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
