"""The station's data set: file shapes (``spec``), the loader and the validator
that reports every problem at once (``checks``).
"""

from shouwang.dataset.loader import Dataset, DatasetError, Problem, load_dataset, validate

__all__ = ["Dataset", "DatasetError", "Problem", "load_dataset", "validate"]
