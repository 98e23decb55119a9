"""Pure geometry: coordinate systems, the walking street graph, nearest guards,
coverage gaps, incident heat, WGS-84 ⇄ GCJ-02. Arrays or GeoDataFrames in, new
ones out; units in names. No Redis, SQL, web or settings: callers pass values.
"""
