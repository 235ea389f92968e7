"""Loaders: catalogue files and award files into the validated internal model."""

from edcbridge.load.awards import COLUMNS, LoadedRow, iter_awards
from edcbridge.load.catalogue import CatalogueError, load_catalogue
from edcbridge.load.errors import InputFileError, RecordError

__all__ = ["COLUMNS", "CatalogueError", "InputFileError", "LoadedRow", "RecordError",
           "iter_awards", "load_catalogue"]
