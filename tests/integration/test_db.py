"""The store: migrations run on both engines, SQLite pragmas, rollback on error."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from bot.store.db import Database
from bot.store.tables import School


async def test_migrations_reach_head(db: Database) -> None:
    assert await db.current_revision() is not None


async def test_unit_of_work_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            session.add(School(name="回滚小学"))
            await session.flush()
            raise RuntimeError("boom")
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(School)) == 0


async def test_sqlite_pragmas(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1


async def test_migrations_match_the_models(db: Database) -> None:
    """Alembic's autogenerate finds nothing to add: every table module has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.schema import metadata

    def diff(sync_conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
        return compare_metadata(ctx, metadata)

    async with db.engine.connect() as conn:
        changes = await conn.run_sync(diff)
    assert changes == []


async def test_echo_never_logs_statement_parameters(
    db: Database, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """database.echo=true shows the SQL, never its values (a health note, a phone, a webhook key)."""
    import logging

    from sqlalchemy.exc import IntegrityError

    caplog.set_level(logging.DEBUG)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # as configure_logging does: its own DEBUG lines
    secret = "哮喘-13800138000-SeCrEt"
    echoing = Database(db.url.render_as_string(hide_password=False), echo=True)
    try:
        async with echoing.transaction() as session:
            await session.execute(text("SELECT :note AS note"), {"note": secret})
            session.add(School(name=secret))
        with pytest.raises(IntegrityError) as failed:  # an error text logged by a caller
            async with echoing.transaction() as session:
                await session.execute(
                    text("INSERT INTO schools (id, name) VALUES (:i, :n)"), {"i": 1, "n": secret}
                )
                await session.execute(
                    text("INSERT INTO schools (id, name) VALUES (:i, :n)"), {"i": 1, "n": secret}
                )
    finally:
        await echoing.dispose()
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert "SELECT" in logged, "echo logged nothing: the test would prove nothing"
    out = capsys.readouterr()
    for where in (logged, out.out, out.err, str(failed.value)):
        assert secret not in where
