"""The two model bases, the parsers, and pydantic's errors in the API's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import annotated_types as at
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from shouwang.errors import InvalidInput

__all__ = ["BodyModel", "QueryModel", "field_problem", "parse_body", "parse_query", "problems"]

M = TypeVar("M", bound=BaseModel)


class QueryModel(BaseModel):
    """Query parameters: text coerced to numbers, flags and choices (lax mode).

    ``PROBLEMS`` may give a field's problem in fixed words, whatever went wrong.
    """

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, populate_by_name=True)
    PROBLEMS: ClassVar[dict[str, str]] = {}


class BodyModel(BaseModel):
    """A JSON body: JSON types are not coerced (``"5"`` is not a number, ``true`` not 1)."""

    model_config = ConfigDict(
        extra="ignore", strict=True, allow_inf_nan=False, populate_by_name=True
    )
    PROBLEMS: ClassVar[dict[str, str]] = {}


def field_problem(field: str, problem: str) -> PydanticCustomError:
    """A problem a validator raises, in exact words, for ``field`` (also for model checks)."""
    return PydanticCustomError("problem", problem, {"field": field})


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _bounds(model: type[BaseModel], key: str) -> tuple[Any, Any]:
    lo = hi = None
    info = _field(model, key)
    for m in info.metadata if info is not None else ():
        if isinstance(m, at.Ge | at.Gt):
            lo = m.ge if isinstance(m, at.Ge) else m.gt
        elif isinstance(m, at.Le | at.Lt):
            hi = m.le if isinstance(m, at.Le) else m.lt
    return lo, hi


def _words(model: type[BaseModel], field: str, err: Mapping[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    fixed: dict[str, str] = getattr(model, "PROBLEMS", {})
    if kind == "problem":
        return str(err["msg"])
    if field in fixed:
        return fixed[field]
    if kind == "missing":
        return "is required"
    # A query value is always text: say what came; a JSON value's type is the mistake.
    got = f", got {err.get('input')!r}" if issubclass(model, QueryModel) else ""
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number{got}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number{got}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo, hi = _bounds(model, field)
        if lo is not None and hi is not None:
            return f"must be between {lo:g} and {hi:g}"
        return f"must be at least {lo:g}" if lo is not None else f"must be at most {hi:g}"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "literal_error":
        return "must be one of " + str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
    if kind in ("string_too_long", "string_type", "string_too_short"):
        info = _field(model, field)
        most = ctx.get("max_length") or next(
            (m.max_length for m in (info.metadata if info else ()) if isinstance(m, at.MaxLen)),
            None,
        )
        return f"must be text of at most {most} chars" if most else "must be text"
    return str(err["msg"])


def problems(model: type[BaseModel], exc: ValidationError) -> list[dict[str, str]]:
    """Every problem of ``exc`` as ``{"field", "problem"}``, the first one per field."""
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        ctx = err.get("ctx") or {}
        field = str(err["loc"][0]) if err["loc"] else str(ctx.get("field", "body"))
        out.setdefault(field, _words(model, field, err))
    return [{"field": f, "problem": p} for f, p in out.items()]


def _validate(model: type[M], data: Any, message: str, context: Mapping[str, Any]) -> M:
    try:
        return model.model_validate(data, context=dict(context))
    except ValidationError as exc:
        raise InvalidInput("invalid_request", message, problems(model, exc)) from None


def parse_query(model: type[M], args: Mapping[str, str], message: str, **context: Any) -> M:
    """``args`` (a query string) as ``model``; blank values count as not given.

    Raises
    ------
    InvalidInput
        ``invalid_request`` titled ``message`` with every problem.
    """
    given = {k: v.strip() for k, v in args.items() if v.strip()}
    return _validate(model, given, message, context)


def parse_body(model: type[M], body: Any, message: str, **context: Any) -> M:
    """A decoded JSON body as ``model`` (the caller has checked it is an object)."""
    return _validate(model, body, message, context)
