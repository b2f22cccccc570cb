"""Tooling: reading a file a user names, refusing what is not a regular file (stdlib only)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def read_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file, or None past ``limit``; OSError for anything else.

    A device (``/dev/zero``, ``/dev/urandom``), FIFO or socket is refused from its file
    type, before a byte is read (it could be endless, or block forever); a regular file
    is read at most ``limit + 1`` bytes, whatever its size said a moment before.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a device, FIFO or socket)")
        data = handle.read(limit + 1)
    return None if len(data) > limit else data
