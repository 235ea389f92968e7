"""Reading a credential file named on the command line: once, and at most a limit.

A credential is small (the EC's biggest sealed sample is under 1 MB), so a file is read whole,
but never more than :data:`MAX_BYTES`: a regular file larger than that is refused unread, and a
named pipe or a device (``/dev/zero``), whose size nobody knows beforehand, is read up to one
byte past the limit. Commands read each file once and judge those bytes: a named pipe opened a
second time waits for a writer that never comes.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_BYTES = 20 * 1024 * 1024
"""Largest credential file read."""


class TooLarge(ValueError):
    """The file holds more than the limit; ``head`` is its first bytes, to say what it is."""

    def __init__(self, message: str, head: bytes) -> None:
        super().__init__(message)
        self.head = head


def read_bounded(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of *path*; OSError when it cannot be read, :class:`TooLarge` when it holds more
    than *limit* bytes."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise TooLarge(f"{size:,} bytes is above the {limit:,}-byte limit for credentials",
                           handle.read(64))
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"more than the {limit:,}-byte limit for credentials", data[:64])
    return data


def too_large_problem(source: object, exc: TooLarge) -> str:
    """A credential file refused unread for its size (*exc*), in words for people, naming it."""
    return f"{source}: {exc}; a credential is far smaller: check that this is the right file"


FOLDER_FIX = "give the files in it instead (FOLDER/* names them all)"
"""What to do with a folder named where a credential file is expected."""


LINK_FIX = "give the file itself, or mend the link"
"""What to do with a symbolic link that leads nowhere."""


def link_to_nothing(path: Path) -> str | None:
    """``a link to TARGET, which does not exist`` for a symbolic link that leads nowhere (a file
    moved away, ``received/*`` still naming its link); None for any other file."""
    if not path.is_symlink() or path.exists():
        return None
    from edcbridge.output import printable

    return f"a link to {printable(str(path.readlink()))}, which does not exist"


def unread_reason(path: Path, exc: OSError) -> tuple[str, str]:
    """Why *path* could not be read (*exc*) and what to do, in words for people: a folder, or a
    link to nothing, is named as one (the system's "Is a directory" is not a reason to check
    permissions, nor its "No such file" for a name the user can see)."""
    if path.is_dir():
        return "a folder, not a file", FOLDER_FIX
    link = link_to_nothing(path)
    if link is not None:
        return link, LINK_FIX
    return f"cannot read the file ({exc.strerror or exc})", "check the file's permissions, or copy it again"
