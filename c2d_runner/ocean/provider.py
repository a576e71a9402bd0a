"""Low-level Ocean Provider client: one method per endpoint, paths from the provider's root map.

The root map (`GET /` -> serviceEndpoints) is fetched once per provider and cached; ocean.py
fetches it twice before every call, which is most of its request count.
"""
from __future__ import annotations

import threading
from typing import Any

from c2d_runner.ocean.errors import ProviderError
from c2d_runner.ocean.http import HttpClient
from c2d_runner.ocean.wallet import parse_nonce

# Documented Provider v2.x paths, used only when a root map lacks a name (e.g. Ocean Node's
# "fileInfo" spelling, or a provider that hides a route).
DEFAULT_ENDPOINTS: dict[str, tuple[str, str]] = {
    "nonce": ("GET", "/api/services/nonce"),
    "fileinfo": ("POST", "/api/services/fileinfo"),
    "initializeCompute": ("POST", "/api/services/initializeCompute"),
    "computeStart": ("POST", "/api/services/compute"),
    "computeStatus": ("GET", "/api/services/compute"),
    "computeStop": ("PUT", "/api/services/compute"),
    "computeDelete": ("DELETE", "/api/services/compute"),
    "computeResult": ("GET", "/api/services/computeResult"),
    "computeEnvironments": ("GET", "/api/services/computeEnvironments"),
}
_ALIASES = {"fileinfo": ("fileInfo",)}


class ProviderClient:
    """Provider endpoints over an HttpClient; every method takes the provider's base URL."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        self._roots: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def root(self, provider_url: str) -> dict[str, Any]:
        """The provider's root document (cached after the first successful call)."""
        key = provider_url.rstrip("/")
        with self._lock:
            cached = self._roots.get(key)
        if cached is not None:
            return cached
        response = self.http.request("GET", key + "/", error_cls=ProviderError, idempotent=True)
        body = _json(response, f"GET {key}/")
        if not isinstance(body, dict):
            raise ProviderError("root document is not a JSON object: not an Ocean Provider",
                                status=response.status_code, endpoint=f"GET {key}/", body=body, not_ocean=True)
        with self._lock:
            self._roots[key] = body
        return body

    def endpoint(self, provider_url: str, name: str) -> tuple[str, str]:
        """(METHOD, absolute URL) of a serviceEndpoints name."""
        base = provider_url.rstrip("/")
        services = self.root(base).get("serviceEndpoints")
        entry = None
        if isinstance(services, dict):
            for candidate in (name, *_ALIASES.get(name, ())):
                if isinstance(services.get(candidate), (list, tuple)) and len(services[candidate]) == 2:
                    entry = services[candidate]
                    break
        if entry is None:
            if name not in DEFAULT_ENDPOINTS:
                raise ProviderError(f"provider does not offer endpoint {name!r}", endpoint=f"GET {base}/")
            entry = DEFAULT_ENDPOINTS[name]
        method, path = str(entry[0]).upper(), str(entry[1])
        # computeStop is PUT whatever the map says (ocean.py does the same; the route is PUT).
        if name == "computeStop":
            method = "PUT"
        return method, base + (path if path.startswith("/") else "/" + path)

    def _call(self, provider_url: str, name: str, *, idempotent: bool, **kwargs: Any):
        method, url = self.endpoint(provider_url, name)
        return self.http.request(method, url, error_cls=ProviderError, idempotent=idempotent, **kwargs), f"{method} {url}"

    def nonce(self, provider_url: str, address: str) -> int:
        """ceil(current nonce) the provider holds for `address` (string or number on the wire)."""
        response, endpoint = self._call(provider_url, "nonce", idempotent=True, params={"userAddress": address})
        body = _json(response, endpoint)
        if not isinstance(body, dict) or "nonce" not in body:
            raise ProviderError("nonce answer has no 'nonce'", status=response.status_code, endpoint=endpoint, body=body)
        return parse_nonce(body["nonce"], endpoint)

    def environments(self, provider_url: str, chain_id: int | None) -> Any:
        """Raw computeEnvironments answer (keyed by chain id, or a bare list)."""
        params = {"chainId": chain_id} if chain_id is not None else None
        response, endpoint = self._call(provider_url, "computeEnvironments", idempotent=True, params=params)
        return _json(response, endpoint), endpoint

    def fileinfo(self, provider_url: str, did: str, service_id: str) -> Any:
        """fileinfo for (did, service): a list of {valid, ...}; read-only, so retried."""
        response, endpoint = self._call(
            provider_url, "fileinfo", idempotent=True, json_body={"did": did, "serviceId": service_id}
        )
        return _json(response, endpoint)

    def initialize_compute(self, provider_url: str, body: dict[str, Any]) -> tuple[Any, str]:
        """POST initializeCompute (never retried: it may issue an order)."""
        # A quote with no side effect (unsigned, nothing stored that a second call would double):
        # retried like the other idempotent calls.
        response, endpoint = self._call(provider_url, "initializeCompute", idempotent=True, json_body=body)
        return _json(response, endpoint), endpoint

    def start(self, provider_url: str, body: dict[str, Any]) -> tuple[Any, str]:
        """POST compute (never retried: a lost answer may hide a started, paid job)."""
        response, endpoint = self._call(provider_url, "computeStart", idempotent=False, json_body=body)
        return _json(response, endpoint), endpoint

    def status(self, provider_url: str, params: dict[str, Any]) -> tuple[Any, str]:
        """GET compute (status of one job, or all the consumer's jobs without jobId)."""
        response, endpoint = self._call(provider_url, "computeStatus", idempotent=True, params=params)
        return _json(response, endpoint), endpoint

    def stop(self, provider_url: str, params: dict[str, Any]) -> tuple[Any, str]:
        """PUT compute with the signed query string."""
        response, endpoint = self._call(provider_url, "computeStop", idempotent=False, params=params)
        return _json(response, endpoint, allow_empty=True), endpoint

    def delete(self, provider_url: str, params: dict[str, Any]) -> tuple[Any, str]:
        """DELETE compute with the signed query string (operator-service answers "")."""
        response, endpoint = self._call(provider_url, "computeDelete", idempotent=False, params=params)
        return _json(response, endpoint, allow_empty=True), endpoint

    def result(self, provider_url: str, params: Any, stream: bool = True, before_attempt=None, attempt_lock=None):
        """GET computeResult; returns the open (streaming) response.

        Retried (a download has no side effect); pass `params` as a callable so that every
        attempt is signed with a fresh nonce (`before_attempt` and `attempt_lock`: see HttpClient.request).
        """
        response, _ = self._call(provider_url, "computeResult", idempotent=True, params=params, stream=stream,
                                 before_attempt=before_attempt, attempt_lock=attempt_lock)
        return response


def _json(response, endpoint: str, allow_empty: bool = False) -> Any:
    try:
        text = response.text
        if allow_empty and not text.strip():
            return None
        return response.json()
    except ValueError:
        snippet = " ".join((response.text or "").split())[:200]
        raise ProviderError(f"answer is not JSON: {snippet!r}", status=response.status_code,
                            endpoint=endpoint, body=response.text, not_ocean=True) from None
    finally:
        response.close()
