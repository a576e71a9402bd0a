"""A chain's JSON-RPC endpoint as web3 reaches it: an RPC that does not answer is an infrastructure failure.

The client pays over HTTP JSON-RPC, to the local chain's loopback bridge or to a public RPC. A
connection refused, reset or timed out becomes `RpcUnavailable` (exit 3) at the one place web3
makes requests, so every balance read, estimate and transaction says the same thing.
"""
from __future__ import annotations

from typing import Any

from c2d_runner.errors import InfrastructureFailure

RPC_TIMEOUT = 60.0  # seconds a JSON-RPC call may take (a public RPC under load is slow, not dead)


class RpcUnavailable(InfrastructureFailure):
    """The chain's JSON-RPC URL does not answer (refused, reset, timed out)."""


def rpc_label(url: str) -> str:
    """The RPC URL as said in messages: scheme, host and port only, since public RPCs carry API keys
    in the path or query (https://mainnet.infura.io/v3/<key>)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    hidden = "/..." if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{hidden}"


def http_web3(url: str, timeout: float = RPC_TIMEOUT) -> Any:
    """A Web3 on the JSON-RPC at `url` whose transport errors raise RpcUnavailable."""
    import requests
    from web3 import Web3
    from web3.providers.rpc.utils import ExceptionRetryConfiguration

    class Provider(Web3.HTTPProvider):
        def make_request(self, method: Any, params: Any) -> Any:
            try:
                return super().make_request(method, params)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise RpcUnavailable(f"the chain's JSON-RPC at {rpc_label(url)} does not answer ({method}): "
                                     f"{type(exc).__name__}") from None

    # web3 retries transport errors itself with backoff; two tries tell a dead RPC from a blip.
    retry = ExceptionRetryConfiguration(errors=(requests.ConnectionError, requests.Timeout), retries=2,
                                        backoff_factor=0.1)
    return Web3(Provider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=retry))


__all__ = ["RPC_TIMEOUT", "RpcUnavailable", "rpc_label", "http_web3"]
