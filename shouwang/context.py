"""What the web edge and the pages may read from the application context.

:class:`shouwang.runtime.app.AppContext` sits above the API blueprints and the
Dash pages in the dependency rule, so they cannot name it; they take this
read-only view instead, which ``AppContext`` satisfies structurally.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from live.ingest.service import IngestService
    from live.state.redisconn import RedisHandle
    from live.state.store import LiveStore
    from shouwang.dataset import Dataset
    from shouwang.dispatch.service import DispatchService
    from shouwang.fieldops.service import FieldOps
    from shouwang.geoservice import GeoService
    from shouwang.settings import Settings

__all__ = ["ContextView", "require"]

_T = TypeVar("_T")


class ContextView(Protocol):
    """The parts of the application context a request handler or page uses."""

    @property
    def settings(self) -> Settings: ...
    @property
    def redis(self) -> RedisHandle: ...
    @property
    def store(self) -> LiveStore: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def dataset(self) -> Dataset: ...
    @property
    def ingest(self) -> IngestService: ...
    @property
    def geo(self) -> GeoService: ...
    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def fieldops(self) -> FieldOps | None: ...
    @property
    def dispatch(self) -> DispatchService | None: ...
    @property
    def extras(self) -> dict[str, Any]: ...


def require(part: _T | None, name: str) -> _T:
    """A part the caller cannot work without (``build_context`` always makes it).

    Raises
    ------
    RuntimeError
        The context was built without it.
    """
    if part is None:
        raise RuntimeError(f"the application context has no {name}")
    return part
