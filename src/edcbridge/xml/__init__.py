"""XML formats: legacy EDC XML 1.2 credentials (with XAdES seals), ELM 3 LOQ register
documents, and reading credentials (JSON-LD or XML) back into the internal model.

Every untrusted XML document is parsed by :mod:`edcbridge.xml.safe` and nowhere else.
"""

from edcbridge.xml.safe import UnsafeXml, XmlInputError, parse_bytes, parse_file

__all__ = ["LOQ_DIR", "UnsafeXml", "XmlInputError", "parse_bytes", "parse_file"]

LOQ_DIR = "loq"  # the folder of OUT holding a catalogue's LOQ document
