"""Redis state: the connection (server or embedded), the live store that owns
every key (registry in ``keys``, coordination steps in ``claims``), the events
(``events``) and the one bus per process that delivers them (``bus``), guard
status and the duty rules of shift patterns.
"""

from live.state.bus import EventBus
from live.state.redisconn import RedisHandle, connect_redis
from live.state.store import LiveStore, RosterEntry

__all__ = ["EventBus", "LiveStore", "RedisHandle", "RosterEntry", "connect_redis"]
