"""Field operations: zone reinforcement, roll call and guards' clue and hazard
reports, with the jobs that tell guards' phones (``service.FieldOps`` binds them).
"""

from shouwang.fieldops.service import FieldOps

__all__ = ["FieldOps"]
