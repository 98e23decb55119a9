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
import threading

from sqlalchemy.engine import Engine

from live.state.store import LiveStore
from shouwang import records

log = logging.getLogger(__name__)


class HistoryWriter:
    """Drain the live store's streams into SQL.

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

    def __init__(
        self, store: LiveStore, engine: Engine, *, batch: int = 500, consumer: str | None = None
    ) -> None:
        self.store = store
        self.engine = engine
        self.batch = batch
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.written = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

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

    def run(self) -> None:
        """Loop until :meth:`stop`; survives database or Redis hiccups."""
        self.recover()
        while not self._stop.is_set():
            try:
                self.drain_once(block_ms=500)
            except Exception:
                log.exception("history writer: batch failed, will retry")
                self._stop.wait(2.0)
                try:
                    self.recover(min_idle_ms=0)
                except Exception:
                    log.exception("history writer: recovery failed")
        try:
            self.drain_all()
        except Exception:
            log.exception("history writer: final drain failed; entries stay in Redis")

    def start(self) -> threading.Thread:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="history-writer", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the loop to finish (draining what is waiting) and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
