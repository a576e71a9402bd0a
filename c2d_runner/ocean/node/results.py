"""A node job's results: choosing one by `type`, and Docker's multiplexed log framing to text.

Result indexes are counted over the files that exist (image.log, configuration.log,
algorithm.log, outputs.tar, publish.log), so they shift between jobs and while a job runs: pick
by `type`, never by a fixed index. algorithm.log and computeStreamableLogs are the raw Docker
attach stream: 8-byte frame headers [stream, 0, 0, 0, size big-endian u32], stream 1 stdout and
2 stderr, although the node serves them as text/plain.
"""
from __future__ import annotations

import struct
from typing import Any, Iterable, Mapping

from c2d_runner.ocean.records import JobResult

# results[].type on the wire (ocean.js misspells configurationLog as configrationLog in its types).
OUTPUT = "output"
ALGORITHM_LOG = "algorithmLog"
CONFIGURATION_LOG = "configurationLog"
IMAGE_LOG = "imageLog"
PUBLISH_LOG = "publishLog"
LOG_TYPES = (IMAGE_LOG, CONFIGURATION_LOG, ALGORITHM_LOG, PUBLISH_LOG)

# A node's results listing is the seam's record (ocean/records.py), under the node's name.
NodeResult = JobResult

STDOUT, STDERR = 1, 2
_HEADER = struct.Struct(">BxxxI")


def parse_results(items: Any) -> tuple[NodeResult, ...]:
    """The `results` array (null while a stop is pending) as records, in the node's order."""
    out = []
    for pos, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, Mapping):
            continue
        index = item.get("index")
        size = item.get("filesize")
        out.append(NodeResult(
            index=index if isinstance(index, int) and not isinstance(index, bool) else pos,
            type=str(item.get("type") or ""),
            filename=str(item.get("filename") or ""),
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        ))
    return tuple(out)


def pick_result(results: Iterable[NodeResult], result_type: str) -> NodeResult | None:
    """The first result of `result_type` ("output", "algorithmLog"...), or None when there is none."""
    return next((r for r in results if r.type == result_type), None)


def is_multiplexed(data: bytes) -> bool:
    """True when `data` starts with a plausible Docker frame header (stream 0-2, three zero bytes)."""
    return len(data) >= 8 and data[0] in (0, 1, 2) and data[1:4] == b"\0\0\0"


class LogDemuxer:
    """Incremental Docker log demultiplexer: feed bytes as they arrive, get (stream, payload) frames.

    Data that does not start with a frame header (a node serving plain text, or an empty log) is
    passed through as stdout, so both shapes read the same.
    """

    def __init__(self) -> None:
        self._buffer = b""
        self._framed: bool | None = None

    def feed(self, chunk: bytes) -> list[tuple[int, bytes]]:
        """Frames completed by `chunk`, in order."""
        self._buffer += chunk
        if self._framed is None:
            self._framed = self._decide()
            if self._framed is None:
                return []
        if not self._framed:
            data, self._buffer = self._buffer, b""
            return [(STDOUT, data)] if data else []
        frames = []
        while len(self._buffer) >= 8:
            stream, size = _HEADER.unpack_from(self._buffer)
            if len(self._buffer) < 8 + size:
                break
            frames.append((stream, self._buffer[8:8 + size]))
            self._buffer = self._buffer[8 + size:]
        return frames

    def close(self) -> list[tuple[int, bytes]]:
        """What is left at the end: a truncated last frame's payload, or unframed bytes."""
        rest, self._buffer = self._buffer, b""
        if self._framed:
            return [(_HEADER.unpack_from(rest)[0], rest[8:])] if len(rest) > 8 else []
        return [(STDOUT, rest)] if rest else []

    def _decide(self) -> bool | None:
        """Framed, not framed, or None while fewer than 8 bytes leave it open."""
        head = self._buffer[:8]
        if (head and head[0] not in (0, 1, 2)) or any(head[1:4]):
            return False
        return True if len(head) == 8 else None


def frames_to_text(frames: Iterable[tuple[int, bytes]], mark_stderr: bool = False) -> str:
    """Frames as one text in arrival order; stderr lines prefixed "[stderr] " when `mark_stderr`."""
    parts = []
    for stream, payload in frames:
        text = payload.decode("utf-8", errors="replace")
        if mark_stderr and stream == STDERR:
            text = "".join("[stderr] " + line for line in text.splitlines(keepends=True))
        parts.append(text)
    return "".join(parts)


def demux_log(data: bytes, mark_stderr: bool = False) -> str:
    """A whole multiplexed (or plain) log as text."""
    demuxer = LogDemuxer()
    return frames_to_text(demuxer.feed(data) + demuxer.close(), mark_stderr)
