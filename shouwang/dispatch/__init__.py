"""The dispatch workflow: an incident's whole chain in one place.

``rules`` holds the pure rules (kinds, transitions, availability, response
times); ``service`` the incident and assignment service; ``candidates`` where
an incident is and who can go; ``marks`` who is sent where (Redis, rebuilt
from SQL); ``escalation`` the timers; ``alarm_points`` one-click alarms;
``reads`` the views the console and API read.
"""

from shouwang.dispatch.escalation import EscalationJob
from shouwang.dispatch.service import DispatchService

__all__ = ["DispatchService", "EscalationJob"]
