"""The API document (OpenAPI 3), generated from the routes and their request models.

Each API view is marked with :func:`documented` (summary, query and body
models, responses); :func:`build_spec` walks the app's URL map and writes one
operation per route and method with `apispec`_, taking the JSON Schemas of
the pydantic models (``model_json_schema``). A route that is not marked is
left out, and ``tests/web/test_api_reference.py`` fails on it.

.. _apispec: https://apispec.readthedocs.io
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from apispec import APISpec
from flask import Flask
from pydantic import BaseModel

from shouwang.web.models.ingest import FieldProblem

__all__ = ["Doc", "build_spec", "documented"]

F = TypeVar("F", bound=Callable[..., Any])

ACTOR_HEADER = {
    "name": "X-Actor",
    "in": "header",
    "required": False,
    "description": "who acts (user name, percent-encoded UTF-8), for the audit log until "
    "login exists; default anonymous",
    "schema": {"type": "string"},
}
_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Doc:
    """What the document says about one view (see :func:`documented`)."""

    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    body_schema: Mapping[str, Any] | None = None
    media: str = "application/json"
    responses: Mapping[int, str] = field(default_factory=lambda: {200: "OK"})
    response: type[BaseModel] | None = None
    response_media: str = "application/json"
    path: Mapping[str, str] = field(default_factory=dict)
    actor: bool = False
    guard: bool = False


def documented(summary: str, **kwargs: Any) -> Callable[[F], F]:
    """Mark a view for the API document; ``kwargs`` are the fields of :class:`Doc`.

    ``responses`` maps status to description; an empty description of an
    error status refers to the one error shape.
    """
    doc = Doc(summary, **kwargs)

    def mark(view: F) -> F:
        view.__apidoc__ = doc  # type: ignore[attr-defined]
        return view

    return mark


class _Schemas:
    """Pydantic models as components (their nested models become components too)."""

    def __init__(self, spec: APISpec) -> None:
        self.spec = spec
        self.done: set[str] = set()

    def ref(self, model: type[BaseModel]) -> dict[str, str]:
        self._add(model.__name__, model.model_json_schema(ref_template=_REF, by_alias=True))
        return {"$ref": _REF.format(model=model.__name__)}

    def _add(self, name: str, schema: dict[str, Any]) -> None:
        for sub, sub_schema in schema.pop("$defs", {}).items():
            self._add(sub, sub_schema)
        if name not in self.done:
            self.done.add(name)
            self.spec.components.schema(name, schema)


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=_REF, by_alias=True)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        param = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out


def _operation(doc: Doc, path_args: list[str], schemas: _Schemas) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": a, "in": "path", "required": True, "schema": {"type": "string"},
         "description": doc.path.get(a, a.replace("_", " "))}
        for a in path_args
    ]  # fmt: skip
    if doc.query is not None:
        params += _query_parameters(doc.query)
    if doc.actor:
        params.append(ACTOR_HEADER)
    op: dict[str, Any] = {"summary": doc.summary, "responses": {}}
    if params:
        op["parameters"] = params
    if doc.body is not None or doc.body_schema is not None:
        ref = schemas.ref(doc.body) if doc.body is not None else None
        schema = dict(doc.body_schema) if doc.body_schema else ref
        op["requestBody"] = {"required": doc.body_required,
                             "content": {doc.media: {"schema": schema}}}  # fmt: skip
    if doc.guard:
        op["security"] = [{"GuardToken": []}]
    for status, description in sorted(doc.responses.items()):
        if status >= 400 and not description:
            op["responses"][str(status)] = {"$ref": "#/components/responses/Error"}
        else:
            schema = schemas.ref(doc.response) if doc.response and status < 300 else {}
            op["responses"][str(status)] = {
                "description": description or "OK",
                "content": {doc.response_media: {"schema": schema}},
            }
    return op


def _error_components(spec: APISpec, schemas: _Schemas) -> None:
    problem = schemas.ref(FieldProblem)
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "description": "the one error shape; a refusal may add members "
                    "(candidates for guard_busy, owner for sos_owned)",
                    "required": ["status", "code", "message", "details"],
                    "properties": {
                        "status": {"type": "integer"},
                        "code": {"type": "string", "example": "invalid_request"},
                        "message": {"type": "string"},
                        "details": {"type": "array", "items": problem},
                    },
                    "additionalProperties": True,
                }
            },
        },
    )
    spec.components.response(
        "Error",
        {
            "description": "The request was refused; nothing was stored",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    )
    spec.components.security_scheme(
        "GuardToken",
        {"type": "http", "scheme": "bearer",
         "description": "token from POST /api/v1/guard/signin (or the sw_guard cookie)"},
    )  # fmt: skip


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every documented ``/api/`` route of ``app``."""
    spec = APISpec(
        title="Shouwang 守望 API",
        version="1",
        openapi_version="3.1.0",  # JSON Schema 2020-12, as pydantic writes it
        info={
            "description": "Live positions of property guards, reference data, the geo "
            "engine, the dispatch workflow and field operations. Every error has one JSON "
            "shape (components.schemas.Error)."
        },
    )
    schemas = _Schemas(spec)
    _error_components(spec, schemas)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = getattr(app.view_functions.get(rule.endpoint), "__apidoc__", None)
        if not rule.rule.startswith("/api/") or doc is None:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        args = re.findall(r"<(?:\w+:)?(\w+)>", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(doc, args, schemas)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
