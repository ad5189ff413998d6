"""Which database errors are the database being away for a moment (worth a retry), on both drivers."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import exc as sa_exc

from bot.store.db import is_transient


def wrapped(orig: BaseException, invalidated: bool = False) -> sa_exc.OperationalError:
    return sa_exc.OperationalError("SELECT 1", None, orig, connection_invalidated=invalidated)


def test_psycopg_failing_to_connect_is_transient() -> None:
    # What psycopg raises when PostgreSQL is down or restarting: no server state at all.
    refused = psycopg.OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    )
    assert refused.sqlstate is None
    assert is_transient(wrapped(refused))


def test_a_lost_connection_is_transient() -> None:
    assert is_transient(wrapped(psycopg.OperationalError("server closed the connection"), invalidated=True))


def test_sqlite_busy_is_transient_and_other_sqlite_errors_are_not() -> None:
    assert is_transient(wrapped(sqlite3.OperationalError("database is locked")))
    assert not is_transient(wrapped(sqlite3.OperationalError("no such table: leaves")))


def test_a_constraint_violation_is_not_transient() -> None:
    assert not is_transient(
        sa_exc.IntegrityError("INSERT", None, psycopg.errors.UniqueViolation("duplicate"))
    )
