"""The live layer: what a guard's phone sends, until it is on every open map.

Owns ingest (``live.ingest``: protocols, the fix model, filters, the ingest
service), the Redis state (``live.state``: connection, store and its key registry,
events and the event bus, status, shifts),
the push relay to browsers (``live.push``) and the history writer to SQL
(``live.history``). It knows nothing of incidents, pages or HTTP.
"""
