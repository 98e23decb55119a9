"""Shouwang (守望): live map and dispatch for police stations and property guards."""

__version__ = "0.1.0"
