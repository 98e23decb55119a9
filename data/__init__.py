"""Pilot data set generator (``python data/generate.py``) and its geography."""
