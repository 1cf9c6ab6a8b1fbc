"""The schema is made only by Alembic migrations, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import inspect

from trainer.storage.database import current_revision, head_revision, make_engine, migrate
from trainer.storage.schema import Base


def test_migrations_build_the_models_schema_from_empty(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    assert migrate(engine) is True
    assert current_revision(engine) == head_revision()
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        assert {i.name for i in table.indexes} <= indexes, table.name
    assert migrate(engine) is False
    engine.dispose()


def test_downgrade_to_empty_and_back(db_url: str) -> None:
    from alembic import command

    from trainer.storage.database import alembic_config, write_transaction

    engine = make_engine(db_url)
    migrate(engine)
    config = alembic_config()
    with write_transaction(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert not set(inspect(engine).get_table_names()) - {"alembic_version"}
    migrate(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
    engine.dispose()
