"""The key registry: one list of every Redis key, in step with the docs and the code."""

from __future__ import annotations

import re

from live.state.keys import KEYS
from shouwang.settings import ROOT

DOC_ROW = re.compile(r"^\| `\{p\}([^`]+)` \| ([^|]+) \|", re.MULTILINE)


def test_every_registered_key_is_documented_and_every_documented_key_registered():
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    documented = {m.group(1): m.group(2).strip() for m in DOC_ROW.finditer(text)}
    assert set(documented) == {k.pattern for k in KEYS}
    for key in KEYS:  # the type column starts with the registered type
        assert documented[key.pattern].startswith(key.kind), key.pattern


def test_patterns_are_unique():
    patterns = [k.pattern for k in KEYS]
    assert len(patterns) == len(set(patterns))


def test_only_the_store_talks_to_redis():
    """Outside ``live/state`` nobody reaches for the raw client (``store.redis``, pub/sub)."""
    raw = re.compile(r"\bstore\.redis\b|\.pubsub\(|redis_client")
    offenders = []
    for folder in ("live", "shouwang", "dashboard"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.parent == ROOT / "live" / "state":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if raw.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
