"""Docker's multiplexed log stream: what a real Ocean Node stores as algorithm.log and streams live.

A container run without a TTY has its stdout and stderr interleaved in one stream of frames, each
an 8-byte header `[stream, 0, 0, 0, size as big-endian uint32]` followed by `size` bytes.  Ocean
Node saves `container.logs()` as it comes, so clients see these frames, not plain text.
"""
from __future__ import annotations

STDOUT = 1
STDERR = 2
_MAX_FRAME = 2**32 - 1


def frame(stream: int, data: bytes) -> bytes:
    """One frame carrying `data` on stream 1 (stdout) or 2 (stderr)."""
    if stream not in (STDOUT, STDERR):
        raise ValueError(f"stream must be 1 (stdout) or 2 (stderr), not {stream!r}")
    if len(data) > _MAX_FRAME:
        raise ValueError("a frame carries at most 4 GiB")
    return bytes((stream, 0, 0, 0)) + len(data).to_bytes(4, "big") + data


def demux(blob: bytes) -> list[tuple[int, bytes]]:
    """Split a framed log into (stream, bytes) pairs; a torn last frame raises ValueError."""
    frames, offset = [], 0
    while offset < len(blob):
        header = blob[offset:offset + 8]
        if len(header) < 8:
            raise ValueError(f"torn frame header at byte {offset}")
        size = int.from_bytes(header[4:], "big")
        data = blob[offset + 8:offset + 8 + size]
        if len(data) < size:
            raise ValueError(f"torn frame at byte {offset}: {len(data)} of {size} bytes")
        frames.append((header[0], data))
        offset += 8 + size
    return frames


def text_of(blob: bytes, stream: int | None = None) -> bytes:
    """The bytes of one stream (or of both, interleaved) from a framed log."""
    return b"".join(data for s, data in demux(blob) if stream is None or s == stream)
