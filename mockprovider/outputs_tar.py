"""outputs.tar as a real Ocean Node saves it: Docker's archive of the job's /data/outputs.

Docker's `GET /containers/{id}/archive?path=/data/outputs` gives a ustar whose entries are
`outputs` and `outputs/...` (no `./`, no trailing `/`).  The algorithm controls everything under
outputs/, so the walk uses directory file descriptors and never follows a link; only folders and
regular files with one link are archived.  Symlinks, hard links, devices, FIFOs and sockets, and
names that cannot be stored safely, are left out and reported.
"""
from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path

# The uid/gid the algorithm runs as on a node; its outputs carry them in the archive.
OWNER_ID = 1000
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_MAX_DEPTH = 64


def write_outputs_tar(outputs_dir: Path, destination: Path) -> list[str]:
    """Archive outputs_dir as `outputs/...` into destination; returns what was left out and why."""
    refused: list[str] = []
    try:
        root_fd = os.open(outputs_dir, _DIR_FLAGS)
    except OSError:
        raise FileNotFoundError("outputs/ is not a real folder any more") from None
    try:
        with tarfile.open(destination, "w", format=tarfile.USTAR_FORMAT) as tar:
            tar.addfile(_info("outputs", os.fstat(root_fd), tarfile.DIRTYPE))
            _add_folder(tar, root_fd, "outputs", 0, refused)
            end = tar.offset + 2 * tarfile.BLOCKSIZE
    finally:
        os.close(root_fd)
    # Docker's archive (Go's archive/tar) ends with the two zero blocks; Python pads to 10 KiB.
    os.truncate(destination, end)
    return refused


def _add_folder(tar: tarfile.TarFile, dir_fd: int, prefix: str, depth: int, refused: list[str]) -> None:
    for name in sorted(os.listdir(dir_fd)):
        arcname = f"{prefix}/{name}"
        reason = unsafe_name(name)
        if reason:
            refused.append(f"{prefix}/{name!r}: {reason}")
            continue
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            if depth >= _MAX_DEPTH:
                refused.append(f"{arcname}: folders nested too deep")
                continue
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError as exc:
                refused.append(f"{arcname}: {exc.strerror}")
                continue
            try:
                if not _fits(tar, arcname, refused):
                    continue
                tar.addfile(_info(arcname, os.fstat(child), tarfile.DIRTYPE))
                _add_folder(tar, child, arcname, depth + 1, refused)
            finally:
                os.close(child)
        elif stat.S_ISREG(st.st_mode):
            if st.st_nlink > 1:
                refused.append(f"{arcname}: file has other hard links")
                continue
            _add_file(tar, dir_fd, name, arcname, refused)
        else:
            kind = "symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file or folder"
            refused.append(f"{arcname}: {kind}")


def _add_file(tar: tarfile.TarFile, dir_fd: int, name: str, arcname: str, refused: list[str]) -> None:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        refused.append(f"{arcname}: {exc.strerror}")
        return
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        # Checked again on the open file: the name could have been swapped since the listing.
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            refused.append(f"{arcname}: changed while being archived")
            return
        if _fits(tar, arcname, refused):
            tar.addfile(_info(arcname, st, tarfile.REGTYPE), fh)


def _fits(tar: tarfile.TarFile, arcname: str, refused: list[str]) -> bool:
    try:
        tarfile.TarInfo(arcname).tobuf(tarfile.USTAR_FORMAT, tar.encoding, tar.errors)
    except ValueError:
        refused.append(f"{arcname}: path too long for a ustar archive")
        return False
    return True


def _info(arcname: str, st: os.stat_result, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(arcname)
    info.type = kind
    info.mode = stat.S_IMODE(st.st_mode)
    info.size = st.st_size if kind == tarfile.REGTYPE else 0
    info.mtime = int(st.st_mtime)
    info.uid = info.gid = OWNER_ID
    info.uname = info.gname = ""
    return info


def unsafe_name(name: str) -> str | None:
    """Why a file name cannot be handed to a consumer safely, or None."""
    if "\\" in name:
        return "name contains '\\'"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "name contains control characters"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not valid UTF-8"
    return None
