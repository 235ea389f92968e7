"""The user's cache folder, as the XDG Base Directory specification defines it."""

from __future__ import annotations

import os
from pathlib import Path


def cache_home() -> Path:
    """``$XDG_CACHE_HOME`` when it is an absolute path, else ``~/.cache``: the specification
    says a relative one is invalid and to be ignored (a folder that moved with every ``cd``
    would scatter caches over the folders of the runs). RuntimeError without a home folder."""
    xdg = Path(os.environ.get("XDG_CACHE_HOME", ""))
    return xdg if xdg.is_absolute() else Path.home() / ".cache"
