"""SQLite's WAL checkpoints, off the event loop.

The units of work run inline on the loop (bot/store/one_call.py). A checkpoint (the WAL copied back into the
database file, with its fsyncs) run by one of their COMMITs, as SQLite does every 1000 pages by default,
stalls every message behind it. So their connection does not checkpoint (`wal_autocheckpoint=0`); after
every `every` commits a checkpoint runs on a connection of its own in a thread of its own, where sqlite3
lets go of the GIL, never more than one at a time: PASSIVE first (the bulk of the copy, taking no lock a
writer waits for), then RESTART (what was written meanwhile, holding off writers for that little while, so
that the next write starts the log over instead of growing it: under steady writes a PASSIVE checkpoint
alone never catches up with the log's end, and the WAL would grow all afternoon). While the RESTART runs,
units wait for it asleep (`wait`), not in SQLite's busy handler on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)


class WalCheckpointer:
    def __init__(self, path: str, every: int = 50) -> None:
        self.path, self.every = path, every
        self._commits = 0
        self._pending: Future[None] | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="wal-checkpoint")
        self._conn: sqlite3.Connection | None = None  # used in the executor's thread only
        self._restarting: Future[None] | None = None  # set while the RESTART holds off writers

    def committed(self) -> None:
        """A unit of work committed: a checkpoint is started in the background after every `every`."""
        self._commits += 1
        if self._commits >= self.every and (self._pending is None or self._pending.done()):
            self._commits = 0
            self._pending = self._executor.submit(self.checkpoint)

    def checkpoint(self) -> None:
        try:
            if self._conn is None:
                # The RESTART waits this long at most for a unit or another process's reader to finish, the
                # units waiting behind it meanwhile; then it gives up until the next checkpoint.
                self._conn = sqlite3.connect(self.path, timeout=0.1, isolation_level=None)
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self._restarting = Future()
            self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        except sqlite3.Error as exc:  # tried again after the next `every` commits
            log.warning("WAL checkpoint failed: %s", exc)
        finally:
            restarting, self._restarting = self._restarting, None
            if restarting is not None:
                restarting.set_result(None)

    async def wait(self) -> None:
        """Before a unit takes the write lock: wait (asleep) for a RESTART under way to let go of it."""
        restarting = self._restarting
        if restarting is not None:
            await asyncio.wrap_future(restarting)

    def close(self) -> None:
        """Wait for a checkpoint under way, then close its connection (opened again if commits go on, as an
        engine is usable after `dispose`). The thread ends with the checkpointer."""
        self._executor.submit(self._close).result()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
