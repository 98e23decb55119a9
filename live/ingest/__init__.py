"""Ingest: phone and radio protocols decoded into fixes, judged by filters, stored.

``protocols`` and ``owntracks`` decode requests into :mod:`live.fixes`;
``filters`` judges a fix against the previous one; ``service`` runs both
and writes through the live store.
"""

from live.ingest.service import IngestOutcome, IngestService

__all__ = ["IngestOutcome", "IngestService"]
