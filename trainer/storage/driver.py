"""Statements run straight on the database driver, for the few queries every answer makes.

Going through SQLAlchemy costs more per statement (building, cache-keying, result set-up) than
SQLite takes to run these indexed lookups, so the study loop runs them through this thin layer:
on a pooled DBAPI connection in `trainer.storage.database.driver_transaction`, or on the one beneath a
SQLAlchemy `Connection` inside that connection's transaction (`Driver.of`). It speaks SQLite and
PostgreSQL (psycopg), storing values exactly as the SQLAlchemy schema types do. Errors are the
driver's own (`sqlite3.OperationalError`, `psycopg.OperationalError`), not SQLAlchemy's.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import Connection

# A tuple, not `str | bytes`: isinstance checks a tuple faster, and this runs for every card read.
_JSON_TEXT = (str, bytes)
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=128)
def _pyformat(sql: str) -> str:
    """`:name` parameters rewritten as psycopg's `%(name)s`."""
    return _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


class Driver:
    """Raw statements on a DBAPI connection, inside the transaction its owner runs."""

    def __init__(self, dbapi_connection: Any, *, sqlite: bool):
        self.sqlite = sqlite
        self._cursor = dbapi_connection.cursor()

    @classmethod
    def of(cls, conn: Connection | Driver) -> Driver:
        """A Driver on the DBAPI connection beneath the SQLAlchemy `conn` (or `conn` itself)."""
        if isinstance(conn, Driver):
            return conn
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None
        return cls(dbapi, sqlite=conn.dialect.name == "sqlite")

    def execute(self, sql: str, params: dict[str, Any]) -> Any:
        """Run `sql` (with `:name` parameters) and return the DBAPI cursor."""
        if self.sqlite:
            self._cursor.execute(sql, params)
        else:
            self._cursor.execute(_pyformat(sql), params)
        return self._cursor

    def one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of `sql`, or None."""
        row = self.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None

    def time(self, value: datetime | None) -> Any:
        """A timezone-aware datetime as the database stores it (naive UTC)."""
        if value is None:
            return None
        naive = value.astimezone(UTC).replace(tzinfo=None)
        # SQLAlchemy's SQLite DATETIME text ("%Y-%m-%d %H:%M:%S.%f", which sorts in time order),
        # made by isoformat, several times faster than strftime.
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive

    def read_time(self, value: Any) -> datetime | None:
        """A stored datetime back as a timezone-aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def json(self, value: Any) -> Any:
        """A JSON value as the driver should bind it."""
        if value is None:
            return None
        if self.sqlite:
            return orjson.dumps(value).decode()
        from psycopg.types.json import Json

        return Json(value)

    @staticmethod
    def read_json(value: Any) -> Any:
        """A stored JSON value back as Python data."""
        return orjson.loads(value) if isinstance(value, _JSON_TEXT) else value


def integrity_errors() -> tuple[type[Exception], ...]:
    """The database drivers' IntegrityError classes (a unique key refused a row)."""
    errors: list[type[Exception]] = [sqlite3.IntegrityError]
    if "psycopg" in sys.modules:
        errors.append(sys.modules["psycopg"].IntegrityError)
    return tuple(errors)
