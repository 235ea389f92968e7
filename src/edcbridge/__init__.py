"""edcbridge: registry records to European Digital Credentials for Learning."""

__version__ = "0.1.0"
