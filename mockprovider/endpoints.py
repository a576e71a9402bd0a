"""The mock's endpoint tables: one per protocol, from which both the root document and the routing are built.

A name here is the Provider's own `serviceEndpoints` key (its Flask function name); the same name
selects the handler in `app.py` and the fault counters in `faults.py`. Another protocol (Ocean Node
routes) gets a table of its own next to this one, with its own root document built the same way.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One route of a protocol: its serviceEndpoints name, HTTP method and path."""

    name: str
    method: str
    path: str


_S = "/api/services"

# Provider v2.1.5 (reference/ocean-provider-api.md): every route its root document announces.
PROVIDER: tuple[Endpoint, ...] = (
    Endpoint("nonce", "GET", f"{_S}/nonce"),
    Endpoint("fileinfo", "POST", f"{_S}/fileinfo"),
    Endpoint("initialize", "GET", f"{_S}/initialize"),
    Endpoint("download", "GET", f"{_S}/download"),
    Endpoint("initializeCompute", "POST", f"{_S}/initializeCompute"),
    Endpoint("computeStart", "POST", f"{_S}/compute"),
    Endpoint("computeStatus", "GET", f"{_S}/compute"),
    Endpoint("computeStop", "PUT", f"{_S}/compute"),
    Endpoint("computeDelete", "DELETE", f"{_S}/compute"),
    Endpoint("computeResult", "GET", f"{_S}/computeResult"),
    Endpoint("computeEnvironments", "GET", f"{_S}/computeEnvironments"),
    Endpoint("validateContainer", "POST", f"{_S}/validateContainer"),
    Endpoint("encrypt", "POST", f"{_S}/encrypt"),
    Endpoint("decrypt", "POST", f"{_S}/decrypt"),
    Endpoint("create_auth_token", "GET", f"{_S}/createAuthToken"),
    Endpoint("delete_auth_token", "DELETE", f"{_S}/deleteAuthToken"),
)


def service_endpoints(table: tuple[Endpoint, ...]) -> dict[str, list[str]]:
    """A table as a root document's `serviceEndpoints`: {name: [METHOD, path]}."""
    return {e.name: [e.method, e.path] for e in table}
