"""Unpacking a node's outputs.tar into <job>/outputs/ without trusting it.

Docker's getArchive('/data/outputs') names entries `outputs`, `outputs/result.json`,
`outputs/sub/nested.txt`; the prefix is stripped so files land at their path inside outputs/.
Every member is checked before anything is written: absolute paths, `..`, links, devices and
FIFOs are refused, and the file count and total size are capped. Files go to a staging folder
that is renamed into place, so a refused or broken tar leaves nothing half-unpacked.
"""
from __future__ import annotations

import os
import posixpath
import secrets
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

from c2d_runner.ocean.errors import OceanError

PREFIX = "outputs"
MAX_FILES = 10_000
MAX_TOTAL_BYTES = 4 << 30  # 4 GiB unpacked


class UnsafeArchive(OceanError, ValueError):
    """outputs.tar holds something that must not be unpacked, or exceeds the caps."""


@dataclass(frozen=True)
class UnpackedFile:
    """A file unpacked from outputs.tar: its path inside outputs/ and its size."""

    path: str
    size: int


def member_path(name: str) -> str | None:
    """The path inside outputs/ for a tar member name; None for the outputs/ folder itself.

    Raises UnsafeArchive for absolute names and names that climb out with `..`.
    """
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UnsafeArchive(f"outputs.tar member {name!r} has an absolute path")
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"outputs.tar member {name!r} climbs out of outputs/ with '..'")
    if parts and parts[0] == PREFIX:
        parts = parts[1:]
    return posixpath.join(*parts) if parts else None


def plan_members(tar: tarfile.TarFile, max_files: int = MAX_FILES, max_total: int = MAX_TOTAL_BYTES
                 ) -> list[tuple[tarfile.TarInfo, str]]:
    """(member, path inside outputs/) for every file and folder; UnsafeArchive on the first problem."""
    planned: list[tuple[tarfile.TarInfo, str]] = []
    total = files = 0
    for member in tar:
        path = member_path(member.name)
        if member.issym() or member.islnk():
            raise UnsafeArchive(f"outputs.tar member {member.name!r} is a link; links are not unpacked")
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchive(f"outputs.tar member {member.name!r} is a device or FIFO")
        if path is None:
            continue
        if member.isfile():
            files += 1
            total += member.size
            if files > max_files:
                raise UnsafeArchive(f"outputs.tar holds more than {max_files} files")
            if total > max_total:
                raise UnsafeArchive(f"outputs.tar unpacks to more than {max_total} bytes")
        planned.append((member, path))
    return planned


def unpack_outputs(tar_path: str | os.PathLike[str], dest: str | os.PathLike[str],
                   max_files: int = MAX_FILES, max_total: int = MAX_TOTAL_BYTES) -> tuple[UnpackedFile, ...]:
    """Unpack outputs.tar into `dest` (replacing it); the files written, sorted by path."""
    dest = Path(dest)
    staging = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.part"
    written: list[UnpackedFile] = []
    try:
        with tarfile.open(tar_path, mode="r:*") as tar:
            planned = plan_members(tar, max_files, max_total)
            staging.mkdir(parents=True)
            for member, path in planned:
                target = staging / path
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - isfile() members always have data
                    continue
                with source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                # Modes from the tar are not trusted: no set-id bits, only the owner's x kept.
                os.chmod(target, 0o755 if member.mode & 0o100 else 0o644)
                written.append(UnpackedFile(path, member.size))
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    except tarfile.TarError as exc:
        raise UnsafeArchive(f"outputs.tar cannot be read: {exc}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return tuple(sorted(written, key=lambda f: f.path))
