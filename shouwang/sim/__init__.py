"""The guard simulator: an HTTP client of the product that walks simulated
guards through shifts, patrols and tasks (``simulator``, ``behaviour``,
``responder``). It uses the public API only.
"""

from shouwang.sim.simulator import Simulator

__all__ = ["Simulator"]
