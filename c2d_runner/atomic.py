"""Write a file so that readers never see half of it: a temporary sibling, fsync, then a rename.

Pure stdlib, so the engine, the reports and the client all use this one way of writing files.
"""
from __future__ import annotations

import json
import os
import re
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, Iterator


def temp_sibling(target: Path) -> Path:
    """A fresh temporary name next to `target`.

    Fixed-length and independent of the target's name: a result named with 250 bytes (NAME_MAX is
    255) must still get a temporary file, which `.<name>.tmp` would not.
    """
    return target.parent / f".c2d-{secrets.token_hex(8)}.tmp"


_TEMP_NAME = re.compile(r"^\.c2d-[0-9a-f]{16}\.tmp$")


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files a killed writer left anywhere under `folder`; the removed paths.

    Only for a folder no one else writes to right now (a run folder under its lock): a live
    writer's temporary file would be removed too.
    """
    removed = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if _TEMP_NAME.match(name):
                path = Path(root, name)
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed.append(path)
    return removed


@contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "wb", **open_args: Any) -> Iterator[IO]:
    """Yield a file open on a temporary sibling of `path`; it becomes `path` only when the block succeeds.

    On any exception (an interrupted download, Ctrl-C) the temporary file is removed and `path` is
    left as it was. `open_args` go to `os.fdopen` (encoding, newline for text modes).
    """
    target = Path(path)
    temp = temp_sibling(target)
    # os.open with 0o666 lets the umask decide the mode, as a plain open() would; mkstemp's 0600
    # would stick to the file and make reports unreadable by CI artifact uploaders.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write `text` (UTF-8, \\n line ends) to `path` atomically, creating its folder; return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(target, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return target


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write `data` as indented, key-sorted JSON to `path` atomically; return the path."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
