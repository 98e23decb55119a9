"""The ingest service: decoded fixes in, live store and history out.

Every protocol endpoint ends here, so the same rules apply to a phone on
OsmAnd, OwnTracks or our batch JSON: unknown devices are refused, the
filters judge each fix against the guard's previous one, good fixes are
stored even when their neighbours in the batch are bad, and every rejection
is counted per reason and logged.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from live.fixes import FieldError, Fix
from live.ingest.filters import FilterSettings, Verdict, judge
from live.state.store import LiveStore

log = logging.getLogger(__name__)

# What each filter verdict tells the sender, keyed by verdict.
_VERDICT_ERRORS: dict[Verdict, tuple[str, str]] = {
    Verdict.REJECT_OUT_OF_RANGE: ("lat", "coordinates out of range"),
    Verdict.REJECT_NULL_ISLAND: ("lat", "position 0,0 (the phone has no position yet)"),
    Verdict.REJECT_FUTURE: ("ts", "time is too far in the future (check the phone's clock)"),
    Verdict.REJECT_INACCURATE: ("accuracy_m", "accuracy worse than the limit"),
    Verdict.REJECT_TOO_FAST: ("lat", "implied speed from the previous fix is above the limit"),
}


@dataclass
class IngestOutcome:
    """What happened to a batch of fixes."""

    accepted: int = 0
    late: int = 0  # accepted for history only: older than the guard's latest fix
    rejected: list[dict] = field(default_factory=list)  # [{"index", "errors": [...]}]
    reasons: Counter = field(default_factory=Counter)

    def reject(self, index: int, errors: Sequence[FieldError], reason: str) -> None:
        self.rejected.append({"index": index, "errors": [e.as_dict() for e in errors]})
        self.reasons[reason] += 1

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "late": self.late,
            "rejected": sorted(self.rejected, key=lambda r: r["index"]),
        }


class IngestService:
    """Judge and store fixes.

    Parameters
    ----------
    store
        The live store.
    filters
        Filter limits (from the FILTER_* settings).
    clock
        Epoch seconds; tests pass their own.
    """

    def __init__(
        self, store: LiveStore, filters: FilterSettings, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.filters = filters
        self.clock = clock

    def ingest(
        self,
        fixes: Sequence[tuple[int, Fix]],
        outcome: IngestOutcome | None = None,
        *,
        protocol: str = "batch",
    ) -> IngestOutcome:
        """Judge and store ``(index, fix)`` pairs; decode rejections may be pre-filled in ``outcome``."""
        outcome = outcome or IngestOutcome()
        if not fixes:
            self._log(outcome, protocol)
            return outcome
        now = self.clock()
        lookup = self.store.lookup_devices([f.device_id for _, f in fixes], now)
        known: list[tuple[int, Fix, str]] = []
        previous = []
        for (index, fix), gid, prev in zip(fixes, lookup.guard_ids, lookup.previous, strict=True):
            if gid is None:
                outcome.reject(
                    index,
                    [
                        FieldError(
                            "device_id", f"unknown device {fix.device_id!r}: not in the guard list"
                        )
                    ],
                    "unknown_device",
                )
            else:
                known.append((index, fix, gid))
                previous.append(prev)
        if known:
            verdicts = judge([f for _, f, _ in known], previous, now, self.filters)
            stored: list[tuple[str, Fix, bool]] = []
            alarms: list[tuple[str, Fix]] = []
            for (index, fix, gid), verdict in zip(known, verdicts, strict=True):
                if verdict in (Verdict.LIVE, Verdict.HISTORY_ONLY):
                    stored.append((gid, fix, verdict == Verdict.LIVE))
                    outcome.accepted += 1
                    outcome.late += verdict == Verdict.HISTORY_ONLY
                    continue
                fld, problem = _VERDICT_ERRORS[verdict]
                outcome.reject(index, [FieldError(fld, problem)], str(verdict))
                if fix.alarm:
                    alarms.append((gid, fix))
            self.store.record_fixes(stored, received_at=now, duty=lookup.duty)
            self.store.record_alarms(alarms)
        self.store.count_rejections(outcome.reasons)
        self._log(outcome, protocol)
        return outcome

    @staticmethod
    def _log(outcome: IngestOutcome, protocol: str) -> None:
        if not outcome.reasons:
            return
        # Malformed requests and unknown devices need someone to look at a
        # phone's set-up; implausible fixes are routine GPS noise.
        needs_attention = {"invalid", "unknown_device"} & outcome.reasons.keys()
        log.log(
            logging.WARNING if needs_attention else logging.INFO,
            "%s ingest: %d accepted, %d rejected %s",
            protocol,
            outcome.accepted,
            len(outcome.rejected),
            dict(outcome.reasons),
        )
