"""The web edge: HTTP API blueprints, the one JSON error shape, the OpenAPI
document and the guard's phone page (``templates/``, ``static/``).
"""
