"""Request models: every endpoint's query and body, validated once, documented once.

Each blueprint parses its request with :func:`parse_query` or :func:`parse_body`;
a refused request is :class:`shouwang.errors.InvalidInput` (``invalid_request``)
with **every** problem in ``details``, one per field, in the API's words. The
same models feed the OpenAPI document (:mod:`shouwang.web.openapi`).

Models by area: :mod:`.dispatch`, :mod:`.geo`, :mod:`.fieldops`, :mod:`.ingest`
(the last documents the phone protocols, which ``live.ingest.protocols`` decodes).
"""

from shouwang.web.models.base import BodyModel, QueryModel, parse_body, parse_query, problems

__all__ = ["BodyModel", "QueryModel", "parse_body", "parse_query", "problems"]
