"""The pilot data set: the files under ``data/pilot/`` and their seeded
generator (``generate``, ``geography``), run by ``python -m shouwang generate-data``.
"""
