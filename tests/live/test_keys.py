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


def test_every_key_the_code_names_is_registered():
    """Each ``key("...")`` / ``claims.*("...")`` name in the code starts a registered pattern."""
    named = re.compile(r'(?:key|claims\.[a-z_]+)\(f?"([^"{]*)|return f"(pinfail:)')
    fixed = [k.pattern.split("<")[0] for k in KEYS]
    seen = set()
    for folder in ("live", "shouwang", "dashboard"):
        for path in (ROOT / folder).rglob("*.py"):
            for m in named.finditer(path.read_text(encoding="utf-8")):
                name = m.group(1) if m.group(1) is not None else m.group(2)
                if name:  # an empty head is the generic key(f"{name}...") of the claims
                    seen.add(name)
    assert {"roster", "fix:", "dispatch:tick", "pinfail:"} <= seen  # the scan finds them
    unregistered = sorted(
        n for n in seen if not any(f == n or (n.endswith(":") and f.startswith(n)) or
                                   f.startswith(n + ":") for f in fixed)
    )  # fmt: skip
    assert unregistered == []
