"""Sign-in: the guard's device + PIN sign-in and its signed tokens (``guards``)."""

from shouwang.auth.guards import GuardAuth, GuardSession

__all__ = ["GuardAuth", "GuardSession"]
