"""The station's data set: file shapes (``spec``), the loader and the validator
that reports every problem at once (``checks``).
"""

from shouwang.dataset.loader import Dataset, DatasetError, Problem, load_dataset, validate
from shouwang.dataset.spec import row_tuples

__all__ = ["Dataset", "DatasetError", "Problem", "load_dataset", "row_tuples", "validate"]
