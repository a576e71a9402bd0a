"""HTTP (de)serialisation helpers of the mock: request data, JSON and streamed replies.

The one place that knows how a request's data is read (the Provider rule: the query string if it
has any parameter, else the JSON body) and how replies are written.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import io
import itertools
import json
import os
import stat
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Iterator

from werkzeug.wrappers import Request, Response

CHUNK = 64 * 1024
# Request bodies above this are answered 413 before they are read (docs/mock.md).  The largest real
# body is a start or initializeCompute with a raw algorithm's code inline, or a DDO to validate.
MAX_BODY_BYTES = 4 << 20
# JSON nested deeper than this is refused with 400: real bodies stay under ten levels, and a deep
# one would otherwise blow the parser's (or the error echo's) recursion limit.
MAX_JSON_DEPTH = 64


class JsonTooDeep(ValueError):
    """A JSON body nested deeper than MAX_JSON_DEPTH."""

    def __init__(self) -> None:
        super().__init__(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")


@dataclass(frozen=True)
class Reply:
    """A JSON reply: status, body, extra headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TextReply:
    """A text reply (Aquarius /health; the node's text errors, which express sends as text/html).

    content_type None sends no Content-Type at all (the node's empty 200 for a missing result).
    """

    text: str
    status: int = 200
    content_type: str | None = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class StreamReply:
    """Bytes streamed as they come (the node's results and live logs): no Content-Disposition."""

    chunks: Iterable[bytes]
    content_type: str | None


@dataclass(frozen=True)
class FileReply:
    """A file streamed from disk in chunks, never read whole."""

    handle: BinaryIO
    size: int
    filename: str
    content_type: str


def parse_json(raw: bytes | str) -> Any:
    """JSON text -> value; ValueError when it is not JSON, JsonTooDeep when nested too deep.

    The depth is checked before parsing: the C parser recurses on the C stack, and in a server
    thread a deep enough document crashes the process before Python's recursion limit is reached.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _nested_deeper_than(data, MAX_JSON_DEPTH):
        raise JsonTooDeep()
    return json.loads(data)


# A JSON string, as an unrolled loop (linear, no backtracking blow-up): possessive quantifiers would
# say the same, but Python 3.10 has none, and 3.10 is supported.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes


def _nested_deeper_than(data: bytes, limit: int) -> bool:
    # Strings gone, only brackets left, the deepest point is the highest running sum; all in C
    # but the sum (a few hundred ms for a 4 MB body of nothing but brackets).
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    steps = memoryview(brackets.translate(_BRACKET_STEPS)).cast("b")
    return max(itertools.accumulate(steps)) > limit


def request_json(request: Request) -> Any:
    """The body as JSON whatever its Content-Type, None when it is not JSON; JsonTooDeep propagates."""
    try:
        return parse_json(request.get_data(cache=True))
    except JsonTooDeep:
        raise
    except ValueError:
        return None


def request_data(request: Request) -> dict[str, Any]:
    """The Provider rule: query string parameters if any, else the JSON body (else {})."""
    if request.args:
        return {k: v for k, v in request.args.items()}
    data = request_json(request)
    return data if isinstance(data, dict) else {}


def body_refusal(environ: dict) -> tuple[int, str] | None:
    """(status, why) when the request's body must be refused, checked before it is read; None if fine.

    A declared Content-Length over MAX_BODY_BYTES is refused unread.  A chunked body has no length
    up front: it is read up to the limit into memory and handed on as a buffer of known length.
    """
    declared = environ.get("CONTENT_LENGTH")
    if declared:
        if not declared.isdigit() or len(declared) > 18:
            return (413, "request body too large") if declared.isdigit() else (400, "invalid Content-Length")
        if int(declared) > MAX_BODY_BYTES:
            return 413, f"request body of {declared} bytes is over the limit of {MAX_BODY_BYTES} bytes"
        return None
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return 413, f"request body is over the limit of {MAX_BODY_BYTES} bytes"
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
    return None


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response with an exact Content-Length (so headers and body go out together)."""
    payload = json.dumps(body, separators=(",", ":")).encode("utf-8")
    resp = Response(payload, status=status, content_type="application/json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def to_response(reply: Reply | TextReply | FileReply | StreamReply) -> Response:
    """Serialise a handler's reply."""
    if isinstance(reply, Reply):
        return json_response(reply.body, reply.status, reply.headers)
    if isinstance(reply, TextReply):
        resp = Response(reply.text, status=reply.status, content_type=reply.content_type or "text/plain")
        if reply.content_type is None:
            del resp.headers["Content-Type"]
        return resp
    if isinstance(reply, StreamReply):
        resp = Response(reply.chunks, status=200, direct_passthrough=True)
        del resp.headers["Content-Type"]
        if reply.content_type is not None:
            resp.headers["Content-Type"] = reply.content_type
        return resp
    resp = Response(_chunks(reply.handle), status=200, content_type=reply.content_type, direct_passthrough=True)
    resp.headers["Content-Length"] = str(reply.size)
    resp.headers["Content-Disposition"] = content_disposition(reply.filename)
    return resp


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._+-]+$")


def content_disposition(filename: str) -> str:
    """The Provider's `attachment;filename=NAME`; names it cannot carry as is (spaces, ';', quotes,
    non-ASCII) get an ASCII fallback and RFC 6266's `filename*` (headers are Latin-1 on the wire)."""
    if _PLAIN_NAME.match(filename):
        return f"attachment;filename={filename}"
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    return f"attachment;filename=\"{fallback}\";filename*=UTF-8''{quote(filename, safe='')}"


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while True:
            chunk = handle.read(CHUNK)
            if not chunk:
                return
            yield chunk
    finally:
        handle.close()


def open_regular_file(path: str) -> tuple[BinaryIO, int]:
    """Open a file without following a final symlink; refuse anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise OSError(f"{os.path.basename(path)} is not a regular file")
    return os.fdopen(fd, "rb"), st.st_size
