"""Shouwang live layer: phone protocols, fixes, filters, the live store and ingest."""
