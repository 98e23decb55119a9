"""Great-circle distance on the WGS-84 mean sphere, vectorised."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["EARTH_RADIUS_M", "haversine_m"]

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres between points given in degrees; broadcasts.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Degrees WGS-84 (treated as a sphere of radius :data:`EARTH_RADIUS_M`; the error,
        below 0.5 %, does not matter at the scale of a station).

    Returns
    -------
    numpy.ndarray
        Distances in metres.
    """
    phi1 = np.radians(np.asarray(lat1, dtype=float))
    phi2 = np.radians(np.asarray(lat2, dtype=float))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    # Rounding can push a hair above 1 for antipodal points; arcsin would give NaN.
    d_m = 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    # An array even for scalar input (ufuncs hand back a numpy scalar there).
    return np.asarray(d_m, dtype=np.float64)
