"""The Ocean Node protocol's endpoint table and its WSGI application.

One table (`NODE`) builds the root document's `serviceEndpoints`, the URL map and the handler
lookup.  Paths are written as the node announces them (express syntax, `:did`, `:force?`).  The
application does what the node's express stack does around its handlers: per-IP rate limit, runs of
slashes collapsed, JSON bodies up to 100 kB, express's own 404 page for unknown routes, and a bare
500 for a crash.  Fault profiles act here too, by route name, as in `app.py`.
"""
from __future__ import annotations

import logging
import re
import traceback
from typing import Any, Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from mockprovider.app import apply_fault, drop_connection
from mockprovider.endpoints import Endpoint, service_endpoints as _service_endpoints
from mockprovider.http import JsonTooDeep, TextReply, parse_json, to_response
from mockprovider.node import handlers as h
from mockprovider.node.errors import HTML, INTERNAL, NodeError
from mockprovider.ratelimit import RateLimiter
from mockprovider.state import MockState

log = logging.getLogger(__name__)

_S = "/api/services"
_A = "/api/aquarius"
BODY_LIMIT = 100 * 1024  # express.json()'s default limit

# Ocean Node 3.1 (reference §1.1): the routes the mock serves, by the names the node announces.
NODE: tuple[Endpoint, ...] = (
    Endpoint("nonce", "GET", f"{_S}/nonce"),
    Endpoint("computeEnvironments", "GET", f"{_S}/computeEnvironments"),
    Endpoint("initializeCompute", "POST", f"{_S}/initializeCompute"),
    Endpoint("computeStart", "POST", f"{_S}/compute"),
    Endpoint("freeCompute", "POST", f"{_S}/freeCompute"),
    Endpoint("computeStop", "PUT", f"{_S}/compute"),
    Endpoint("computeStatus", "GET", f"{_S}/compute"),
    Endpoint("computeResult", "GET", f"{_S}/computeResult"),
    Endpoint("computeStreamableLogs", "GET", f"{_S}/computeStreamableLogs"),
    Endpoint("computeDelete", "DELETE", f"{_S}/compute"),
    Endpoint("getDDO", "GET", f"{_A}/assets/ddo/:did/:force?"),
    Endpoint("getDDOMetadata", "GET", f"{_A}/assets/metadata/:did/:force?"),
    Endpoint("ddoMetadataQuery", "POST", f"{_A}/assets/metadata/query"),
)

HANDLERS: dict[str, Callable[..., Any]] = {
    "root": h.root,
    "nonce": h.nonce,
    "computeEnvironments": h.compute_environments,
    "initializeCompute": h.initialize_compute,
    "computeStart": h.paid_compute,
    "freeCompute": h.free_compute,
    "computeStop": h.compute_stop,
    "computeStatus": h.compute_status,
    "computeResult": h.compute_result,
    "computeStreamableLogs": h.compute_streamable_logs,
    "computeDelete": h.compute_delete,
    "getDDO": h.get_ddo,
    "getDDOMetadata": h.get_ddo,
    "ddoMetadataQuery": h.ddo_query,
}
_PARAM = re.compile(r":(\w+)(\?)?")


def service_endpoints() -> dict[str, list[str]]:
    """The root document's serviceEndpoints map."""
    return _service_endpoints(NODE)


def _rules(e: Endpoint) -> list[Rule]:
    """werkzeug rules for an express path; each optional `:param?` adds a shorter rule."""
    parts = e.path.split("/")
    rules, kept = [], []
    for part in parts:
        m = _PARAM.fullmatch(part)
        if m and m.group(2):
            rules.append("/".join(kept))
        kept.append(f"<{m.group(1)}>" if m else part)
    rules.append("/".join(kept))
    return [Rule(path, endpoint=e.name, methods=[e.method]) for path in rules]


URL_MAP = Map([Rule("/", endpoint="root", methods=["GET"]), *(r for e in NODE for r in _rules(e))],
              strict_slashes=False, merge_slashes=False)
_SLASHES = re.compile(r"/{2,}")


def express_404(method: str, path: str) -> TextReply:
    """express's page for a route it does not have (any method: express has no 405)."""
    from html import escape

    return TextReply(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
                     f"</head>\n<body>\n<pre>Cannot {method} {escape(path)}</pre>\n</body>\n</html>\n", 404, HTML)


def express_error(status: int, text: str) -> TextReply:
    """express's HTML error page."""
    return TextReply(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
                     f"</head>\n<body>\n<pre>{text}</pre>\n</body>\n</html>\n", status, HTML)


class NodeApp:
    """The WSGI application of the mock Ocean Node."""

    def __init__(self, state: MockState, rate_limit: int | None = None):
        self.state = state
        self.limiter = RateLimiter(rate_limit) if rate_limit else None
        self.errors: list[str] = []  # crashes of handlers, raised to tests at teardown

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        response = self.dispatch(Request(environ), environ)
        # What express adds to every answer of the node (CORS is open; JSON carries its charset).
        response.headers["X-Powered-By"] = "Express"
        response.headers["Access-Control-Allow-Origin"] = "*"
        if response.headers.get("Content-Type") == "application/json":
            response.headers["Content-Type"] = "application/json; charset=utf-8"
        return response(environ, start_response)

    def dispatch(self, request: Request, environ: dict) -> Response:
        """Answer one request; never raises."""
        caller = request.headers.get("X-Forwarded-For") or request.remote_addr or ""
        if self.limiter is not None:
            refusal = self.limiter.check(caller)
            if refusal is not None:
                self.state.next_call("rateLimited")
                return to_response(TextReply(refusal, 429, HTML))
        path = _SLASHES.sub("/", request.path)
        adapter = URL_MAP.bind("localhost")
        try:
            name, args = adapter.match(path, method=request.method)
        except HTTPException:
            self.state.next_call("unknown")
            return to_response(express_404(request.method, request.path))
        fault, early = apply_fault(self.state, name, environ, _fault_refusal)
        if early is not None:
            return early
        try:
            body = _json_body(request)
        except NodeError as exc:
            return to_response(exc.reply())
        node_request = h.NodeRequest(query=dict(request.args.items()), body=body, headers=dict(request.headers.items()),
                                     args=args)
        try:
            response = to_response(HANDLERS[name](self.state, node_request))
        except NodeError as exc:
            response = to_response(exc.reply())
        except Exception:  # a mock bug: answered as the node's route-level catch does
            self.errors.append(f"{request.method} {request.path}: {traceback.format_exc()}")
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=True)
            response = to_response(TextReply(INTERNAL, 500, HTML))
        if fault.drop_after:
            response.close()
            return drop_connection(environ)
        return response


def _fault_refusal(text: str, status: int, headers: dict[str, str]) -> Response:
    response = to_response(TextReply(text, status, HTML))
    response.headers.update(headers)
    return response


def _json_body(request: Request) -> dict[str, Any]:
    """express.json(): JSON bodies only, at most 100 kB, else express's 413 / 400 pages; {} otherwise."""
    if request.mimetype != "application/json":
        return {}
    length = request.content_length
    if length is not None and length > BODY_LIMIT:
        raise _Refusal(413, "PayloadTooLargeError: request entity too large")
    raw = request.stream.read(BODY_LIMIT + 1)
    if len(raw) > BODY_LIMIT:
        raise _Refusal(413, "PayloadTooLargeError: request entity too large")
    if not raw.strip():
        return {}
    try:
        data = parse_json(raw)
    except JsonTooDeep:  # V8's JSON.parse throws too, before the C stack of a server thread overflows
        raise _Refusal(400, "SyntaxError: the body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise _Refusal(400, "SyntaxError: the body is not valid JSON") from None
    if not isinstance(data, (dict, list)):  # express.json() is strict: objects and arrays only
        raise _Refusal(400, "SyntaxError: the body is not a JSON object or array")
    return data if isinstance(data, dict) else {}


class _Refusal(NodeError):
    """express's own error page for a body it cannot parse."""

    def __init__(self, status: int, text: str):
        super().__init__(status, text, "text")

    def reply(self) -> TextReply:
        """express's HTML error page."""
        return express_error(self.status, self.message)
