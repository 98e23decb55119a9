"""Local metric CRS and the WGS-84 / GCJ-02 conversions."""

import numpy as np
import pyproj
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.crs import (
    gcj02_to_wgs84,
    local_crs,
    out_of_china,
    to_local,
    to_wgs84,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")


def test_local_crs_is_the_utm_zone():
    assert local_crs(118.45, 33.75).to_epsg() == 32650  # Suqian, zone 50N
    assert local_crs(104.07, 30.67).to_epsg() == 32648  # Chengdu, zone 48N
    assert local_crs(151.2, -33.9).to_epsg() == 32756  # Sydney, zone 56S
    # Arrays: the centre of their extent decides.
    assert local_crs(np.array([118.40, 118.50]), np.array([33.70, 33.80])).to_epsg() == 32650


def test_to_local_round_trip_and_metric_distances():
    crs = local_crs(118.45, 33.75)
    lon = np.array([118.45, 118.46, 118.451])
    lat = np.array([33.75, 33.75, 33.76])
    x, y = to_local(lon, lat, crs)
    lon2, lat2 = to_wgs84(x, y, crs)
    np.testing.assert_allclose(lon2, lon, atol=1e-9)
    np.testing.assert_allclose(lat2, lat, atol=1e-9)
    # Planar distance in the UTM zone agrees with the geodesic within 0.1 %.
    geodesic = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2]
    planar = float(np.hypot(x[1] - x[0], y[1] - y[0]))
    assert abs(planar - geodesic) / geodesic < 1e-3


def test_amap_published_example():
    lon, lat = wgs84_to_gcj02(116.481499, 39.990475)
    err_m = GEOD.inv(lon[0], lat[0], 116.487585177952, 39.991754014757)[2]
    assert err_m < 0.1


def test_scalars_in_arrays_out_and_vectorised():
    lon, lat = wgs84_to_gcj02(118.45, 33.75)
    assert isinstance(lon, np.ndarray) and lon.shape == (1,)
    many = wgs84_to_gcj02(np.array([118.45, 116.481499]), np.array([33.75, 39.990475]))
    assert many[0][0] == lon[0] and many[1][0] == lat[0]


def test_outside_china_unchanged():
    lon = np.array([2.35, -74.0, 151.2, 118.45])
    lat = np.array([48.85, 40.7, -33.9, 33.75])
    assert out_of_china(lon, lat).tolist() == [True, True, True, False]
    glon, glat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(glon[:3], lon[:3])
    np.testing.assert_array_equal(glat[:3], lat[:3])
    assert glon[3] != lon[3]  # in China the offset applies (a few hundred metres)
    wlon, wlat = gcj02_to_wgs84(lon[:3], lat[:3])
    np.testing.assert_array_equal(wlon, lon[:3])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(73.5, 134.7), st.floats(18.2, 53.5)), min_size=1, max_size=20))
def test_gcj02_round_trip_within_1cm(points):
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift_m = GEOD.inv(lon, lat, glon, glat)[2]
    assert np.all(shift_m < 1000.0)  # the offset itself is at most a few hundred m
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    err_m = GEOD.inv(lon, lat, wlon, wlat)[2]
    assert np.max(err_m) <= 0.01
