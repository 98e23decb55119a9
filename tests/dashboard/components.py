"""Reading Dash component trees in page tests: their strings, and the parts that match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
from dash.development.base_component import Component


def texts(component: Any) -> list[str]:
    """Every string in a Dash component tree, option labels included."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list | tuple):
            for n in node:
                walk(n)
        elif node is not None and hasattr(node, "children"):
            walk(node.children)
        if node is not None and isinstance(getattr(node, "options", None), list):
            out.extend(o["label"] for o in node.options if isinstance(o, dict))

    walk(component)
    return out


def text_of(component: Any) -> str:
    """All the text of a component tree as one string (what the dispatcher reads)."""
    if component is None or component is dash.no_update:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    if isinstance(component, dict):  # a RadioItems / Checklist option
        return text_of(component.get("label"))
    if isinstance(component, Component):
        return text_of(getattr(component, "children", None))
    return ""


def find_all(component: Any, predicate: Callable[[Component], bool]) -> list[Component]:
    """Every component of the tree for which ``predicate`` holds, in document order."""
    out: list[Component] = []
    if isinstance(component, list | tuple):
        for c in component:
            out += find_all(c, predicate)
    elif isinstance(component, dict):
        out += find_all(component.get("label"), predicate)
    elif isinstance(component, Component):
        if predicate(component):
            out.append(component)
        out += find_all(getattr(component, "children", None), predicate)
    return out


def find(component: Any, component_id: str) -> Component | None:
    """The first component with id ``component_id``, or None."""
    hits = find_all(component, lambda c: getattr(c, "id", None) == component_id)
    return hits[0] if hits else None
