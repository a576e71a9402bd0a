"""Routing and error serialisation: the WSGI application of the mock Ocean.

Routes map to handlers in `provider.py` / `aquarius.py` by the Provider's endpoint names.  Every
error, including unknown routes, 405s and crashes, is answered as JSON here and nowhere else.
Fault profiles act here too, around the handlers, so the handlers stay fault-free.
"""
from __future__ import annotations

import logging
import socket
import time
import traceback
from typing import Any, Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from mockprovider import aquarius, endpoints, faults, provider
from mockprovider.errors import GlobalError, MockError
from mockprovider.http import JsonTooDeep, json_response, request_data, request_json, to_response
from mockprovider.state import MockState

log = logging.getLogger(__name__)

A = "/api/aquarius"
URL_MAP = Map([
    Rule("/", endpoint="root", methods=["GET"]),
    *(Rule(e.path, endpoint=e.name, methods=[e.method]) for e in endpoints.PROVIDER),
    Rule("/health", endpoint="health", methods=["GET"]),
    Rule(A, endpoint="aquarius", methods=["GET"]),
    Rule(f"{A}/assets/ddo/validate", endpoint="validate", methods=["POST"]),
    Rule(f"{A}/assets/ddo/<did>", endpoint="ddo", methods=["GET"]),
    Rule(f"{A}/assets/metadata/<did>", endpoint="metadata", methods=["GET"]),
    Rule(f"{A}/assets/query", endpoint="query", methods=["POST"]),
    Rule(f"{A}/assets/names", endpoint="names", methods=["POST"]),
    Rule(f"{A}/chains/list", endpoint="chains", methods=["GET"]),
], strict_slashes=False)

# Handlers that take (state, request data).
DATA_HANDLERS: dict[str, Callable[..., Any]] = {
    "root": provider.root,
    "nonce": provider.nonce,
    "computeEnvironments": provider.compute_environments,
    "initializeCompute": provider.initialize_compute,
    "computeStart": provider.compute_start,
    "computeStatus": provider.compute_status,
    "computeStop": provider.compute_stop,
    "computeDelete": provider.compute_delete,
    "computeResult": provider.compute_result,
    "fileinfo": provider.fileinfo,
    "initialize": provider.initialize,
    "download": provider.download,
    "validateContainer": provider.validate_container,
    "encrypt": provider.unsupported,
    "decrypt": provider.unsupported,
    "create_auth_token": provider.unsupported,
    "delete_auth_token": provider.unsupported,
    "health": aquarius.health,
    "aquarius": aquarius.info,
    "chains": aquarius.chains,
}


class MockApp:
    """The WSGI application: route, apply faults, call the handler, serialise."""

    def __init__(self, state: MockState):
        self.state = state
        self.errors: list[str] = []  # crashes of handlers, raised to tests at teardown

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        response = self.dispatch(request, environ)
        return response(environ, start_response)

    def dispatch(self, request: Request, environ: dict) -> Response:
        """Answer one request; never raises."""
        adapter = URL_MAP.bind_to_environ(environ)
        data: Any = {}
        try:
            endpoint, args = adapter.match()
        except HTTPException as exc:
            self.state.next_call("unknown")
            return json_response({"error": f"{exc.code} {exc.name}: {exc.description}", "context": {}}, exc.code or 404)
        fault, early = apply_fault(self.state, endpoint, environ, lambda text, status, headers: json_response(
            {"error": text, "context": {}}, status, headers))
        if early is not None:
            return early
        try:
            data = request_data(request)
            response = to_response(self._handle(endpoint, args, request, data))
        except MockError as exc:
            response = json_response(exc.json_body(), exc.status, exc.headers)
        except JsonTooDeep as exc:  # a client's error, not a crash: never kept in self.errors
            response = json_response(GlobalError(str(exc), 400).json_body(), 400)
        except HTTPException as exc:
            response = json_response({"error": f"{exc.code} {exc.name}: {exc.description}", "context": data}, exc.code or 500)
        except Exception as exc:  # the real global handler: 503 with the request data as context
            self.errors.append(f"{request.method} {request.path}: {traceback.format_exc()}")
            log.error("unhandled error on %s %s", request.method, request.path, exc_info=True)
            response = json_response(GlobalError(str(exc) or type(exc).__name__, 503, data).json_body(), 503)
        if fault.drop_after:
            response.close()
            return drop_connection(environ)
        return response

    def _handle(self, endpoint: str, args: dict, request: Request, data: Any):
        state = self.state
        if endpoint in ("ddo", "metadata"):
            return getattr(aquarius, endpoint)(state, data, args["did"])
        if endpoint == "query":
            return aquarius.query(state, request_json(request))
        if endpoint == "names":
            return aquarius.names(state, request_json(request))
        if endpoint == "validate":
            return aquarius.validate(state, request.content_type or "", request.get_data())
        return DATA_HANDLERS[endpoint](state, data)


def apply_fault(state: MockState, route: str, environ: dict,
                refusal: Callable[[str, int, dict[str, str]], Response]) -> tuple[Any, Response | None]:
    """The fault profile's decision for this call of `route`, applied before the handler: the latency
    slept, and a dropped connection or an injected error status (in the protocol's `refusal` shape)
    returned as the early answer (None: go on to the handler)."""
    fault = faults.http_fault(state.profile, state.seed, route, state.next_call(route))
    if fault.latency:
        time.sleep(fault.latency)
    if fault.drop:
        return fault, drop_connection(environ)
    if fault.status:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
        return fault, refusal(f"fault injected by profile {state.profile.name!r}", fault.status, headers)
    return fault, None


def drop_connection(environ: dict) -> Response:
    """Close the client's connection without an answer (a lost response, as on a flaky network)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    return Response(b"", status=500)
