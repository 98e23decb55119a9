"""Ingest: phone and radio protocols decoded into fixes, judged by filters, stored.

``protocols`` and ``owntracks`` decode requests; ``fixes`` is the one fix
model; ``filters`` judges a fix against the previous one; ``service`` runs
both and writes through the live store.
"""
