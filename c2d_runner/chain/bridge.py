"""A loopback JSON-RPC endpoint serving a LocalChain to other processes (the CLI, ocean-lib, ocean.js).

eth-tester answers in Python values (ints, bytes); the bridge applies only web3's eth-tester
middleware (field names, defaults) and encodes the result as JSON-RPC does: quantities as 0x-hex,
data as 0x-hex bytes, a 256-byte logsBloom. Reverts answer as a node does, code 3 with the
Error(string) data, so any client's own revert handling applies. Nagle is off: without it every
request waits for the client's delayed ACK (~40 ms, 7x slower orders).
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Fields that are byte data even when eth-tester gives them as ints.
_DATA_WIDTH = {"logsBloom": 256}
_MAX_BODY = 16 * 1024 * 1024


def to_json_rpc(value: Any, key: str = "") -> Any:
    """A web3/eth-tester result as JSON-RPC encodes it (0x quantities and data, camelCase kept)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if key in _DATA_WIDTH:
            return "0x" + value.to_bytes(_DATA_WIDTH[key], "big").hex()
        return hex(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        return value
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: to_json_rpc(v, k) for k, v in value.items() if k != "stateRoot" and k != "state_root"}
    if isinstance(value, (list, tuple)):
        return [to_json_rpc(v, key) for v in value]
    return value


def revert_error(reason: str) -> dict[str, Any]:
    """The JSON-RPC error a node sends for a revert: code 3 and ABI-encoded Error(string)."""
    from eth_abi import encode

    data = "0x08c379a0" + encode(["string"], [reason]).hex()
    return {"code": 3, "message": f"execution reverted: {reason}", "data": data}


class RpcBridge:
    """Serve `chain` (a LocalChain) as JSON-RPC over HTTP on 127.0.0.1; `url` once started."""

    def __init__(self, chain: Any, host: str = "127.0.0.1", port: int = 0):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the chain bridge serves loopback only")
        self.chain = chain
        self.host = host
        self.port = port
        self.url = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._handle = self._request_function()

    def _request_function(self) -> Any:
        """The provider's request with only eth-tester's own middleware (no web3 result formatting)."""
        from web3.middleware import combine_middleware

        w3 = self.chain.w3
        provider = w3.provider
        return combine_middleware(middleware=provider._middleware, w3=w3, provider_request_fn=provider.make_request)

    def answer(self, request: Any) -> Any:
        """The JSON-RPC response (a dict, or a list for a batch) to a decoded request."""
        if isinstance(request, list):
            return [self.answer(r) for r in request]
        rid = request.get("id") if isinstance(request, dict) else None
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32600, "message": "Invalid Request"}}
        try:
            with self.chain.lock:
                response = self._handle(request["method"], request.get("params") or [])
        except Exception as exc:  # noqa: BLE001 - every chain error becomes a JSON-RPC error
            from c2d_runner.chain.tx import revert_reason

            reason = revert_reason(exc)
            error = revert_error(reason) if reason is not None else {"code": -32000, "message": str(exc)}
            return {"jsonrpc": "2.0", "id": rid, "error": error}
        if "error" in response:
            return {"jsonrpc": "2.0", "id": rid, "error": response["error"]}
        return {"jsonrpc": "2.0", "id": rid, "result": to_json_rpc(response.get("result"))}

    def start(self) -> "RpcBridge":
        """Listen and serve on a background thread; sets `url`."""
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                if length > _MAX_BODY:
                    self.send_error(413)
                    return
                try:
                    request = json.loads(self.rfile.read(length))
                except ValueError:
                    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
                else:
                    body = bridge.answer(request)
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="c2d-chain-bridge", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "RpcBridge":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


__all__ = ["RpcBridge", "to_json_rpc", "revert_error"]
