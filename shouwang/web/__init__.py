"""The web edge: HTTP API blueprints, request models (``models/``), the one JSON
error shape (``errors``: domain error kind → HTTP status), the acting user
(``actor``), the generated OpenAPI document (``openapi``) and the guard's phone
page (``templates/``, ``static/``).
"""
