"""The history writer: moves accepted fixes and alarms from Redis streams into SQL.

Ingest answers a phone only after its fix is in the Redis stream; this
writer copies stream entries into SQL in batches and acknowledges them only
after the transaction commits. A crash between the two re-delivers the
entries, and the unique stream id makes the second copy a no-op: nothing
acknowledged to a phone is lost, nothing is written twice.
"""

from __future__ import annotations

import logging
import os
import socket

from sqlalchemy.engine import Engine

from live.state.store import LiveStore
from shouwang import records
from shouwang.jobs import ThreadJob

log = logging.getLogger(__name__)


class HistoryWriter(ThreadJob):
    """Drain the live store's streams into SQL (a background job).

    Parameters
    ----------
    store
        The live store.
    engine
        Records database.
    batch
        Largest number of entries per stream and transaction.
    consumer
        Name in the Redis consumer group; default host and process id.
    """

    name = "history-writer"
    stop_timeout_s = 10.0  # the last drain copies what is waiting into SQL

    def __init__(
        self, store: LiveStore, engine: Engine, *, batch: int = 500, consumer: str | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.engine = engine
        self.batch = batch
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.written = 0

    def _write(self, entries: list[tuple[str, str, dict[str, str]]]) -> int:
        if not entries:
            return 0
        pos = [(eid, f) for stream, eid, f in entries if stream == self.store.positions_stream]
        alarm = [(eid, f) for stream, eid, f in entries if stream == self.store.alarms_stream]
        records.write_history(self.engine, pos, alarm)
        self.store.ack_history((stream, eid) for stream, eid, _ in entries)
        self.written += len(entries)
        return len(entries)

    def recover(self, min_idle_ms: int = 0) -> int:
        """Copy entries left unacknowledged by a crashed writer (ours or another's)."""
        n = 0
        n += self._write(
            self.store.read_history(self.consumer, count=self.batch, block_ms=None, pending=True)
        )
        while True:
            claimed = self.store.claim_stale_history(
                self.consumer, min_idle_ms=min_idle_ms, count=self.batch
            )
            if not claimed:
                return n
            n += self._write(claimed)

    def drain_once(self, block_ms: int | None = None) -> int:
        """Copy one batch of new entries; returns how many."""
        return self._write(
            self.store.read_history(self.consumer, count=self.batch, block_ms=block_ms)
        )

    def drain_all(self) -> int:
        """Copy everything waiting now (used at shutdown and in tests)."""
        total = self.recover()
        while n := self.drain_once():
            total += n
        return total

    def _run(self) -> None:
        """Loop until :meth:`stop`, then drain; survives database or Redis hiccups."""
        with self._round("history writer: recovery"):
            self.recover()
        while not self._stop.is_set():
            with self._round("history writer: batch (will retry)"):
                self.drain_once(block_ms=500)
            if self._last_error is not None:
                self._stop.wait(2.0)
                with self._round("history writer: recovery"):
                    self.recover(min_idle_ms=0)
        with self._round("history writer: final drain (entries stay in Redis)"):
            self.drain_all()
