"""The post-deploy chain state on disk, so booting a chain with Ocean's contracts takes milliseconds.

The state is py-evm's raw key/value database. It is stored in a plain length-prefixed binary
format (never pickle), under the user's cache folder, in a file whose name is keyed by everything
the bytes depend on: the py-evm and eth-tester versions, the contracts' version and artifact
digest, the chain id and this format's version. A file that does not match is simply not used.
"""
from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import Iterable

from c2d_runner.atomic import atomic_file

FORMAT = b"c2d-chain-state/1\n"
_LEN = struct.Struct(">II")


def cache_dir() -> Path:
    """$C2D_CHAIN_CACHE, else $XDG_CACHE_HOME/c2d-runner/chain (~/.cache/c2d-runner/chain)."""
    explicit = os.environ.get("C2D_CHAIN_CACHE")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "c2d-runner" / "chain"


def cache_key(parts: Iterable[str]) -> str:
    """A short file-name-safe digest of everything the cached state depends on."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:20]


def encode(items: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The key/value pairs as FORMAT + (len key, len value, key, value)*."""
    out = [FORMAT]
    for key, value in items:
        out.append(_LEN.pack(len(key), len(value)))
        out.append(bytes(key))
        out.append(bytes(value))
    return b"".join(out)


def decode(data: bytes) -> dict[bytes, bytes]:
    """The key/value pairs of `encode`'s output; ValueError when the bytes are not that."""
    if not data.startswith(FORMAT):
        raise ValueError("not a c2d chain state file")
    out: dict[bytes, bytes] = {}
    pos, end = len(FORMAT), len(data)
    while pos < end:
        if pos + _LEN.size > end:
            raise ValueError("truncated chain state file")
        klen, vlen = _LEN.unpack_from(data, pos)
        pos += _LEN.size
        if pos + klen + vlen > end:
            raise ValueError("truncated chain state file")
        out[data[pos:pos + klen]] = data[pos + klen:pos + klen + vlen]
        pos += klen + vlen
    return out


def load(path: Path) -> dict[bytes, bytes] | None:
    """The cached state at `path`, or None when it is absent or unreadable (then the chain deploys)."""
    try:
        return decode(path.read_bytes())
    except (OSError, ValueError):
        return None


def save(path: Path, items: Iterable[tuple[bytes, bytes]]) -> None:
    """Write the state atomically (concurrent boots may race; the last whole file wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path, "wb") as f:
        f.write(encode(items))


__all__ = ["cache_dir", "cache_key", "encode", "decode", "load", "save"]
