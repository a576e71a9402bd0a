"""Which protocol a service URL speaks, from its root document (`GET /`).

An Ocean Node says `software: "Ocean-Node"` and carries `nodeId`, `nodePublicKey` and one
`providerAddress`; the Python Provider says `software: "Provider"` and carries
`providerAddresses`, a map chain id -> address (ocean-node rootEndpoint.ts; provider run.py).
"""
from __future__ import annotations

from typing import Any, Mapping

from c2d_runner import exitcodes
from c2d_runner.ocean.errors import OceanError

PROVIDER = "provider"
OCEAN_NODE = "ocean-node"
PROTOCOLS = (PROVIDER, OCEAN_NODE)


class UnknownService(OceanError, ValueError):
    """The root document is neither a Provider's nor an Ocean Node's: the URL is not Ocean (exit 3)."""

    exit_code = exitcodes.INFRASTRUCTURE


def detect_protocol(root: Any, url: str = "the service") -> str:
    """"ocean-node" or "provider" for a root document; UnknownService for anything else."""
    if not isinstance(root, Mapping):
        raise UnknownService(f"{url} is neither an Ocean Provider nor an Ocean Node: its root answer is not a JSON object")
    software = str(root.get("software") or "")
    if software == "Ocean-Node" or (("nodeId" in root or "nodePublicKey" in root)
                                    and isinstance(root.get("providerAddress"), str)):
        return OCEAN_NODE
    if software == "Provider" or isinstance(root.get("providerAddresses"), Mapping) \
            or isinstance(root.get("providerAddress"), str):
        return PROVIDER
    raise UnknownService(
        f"{url} is neither an Ocean Provider nor an Ocean Node: its root document has no "
        f"providerAddress(es) and software is {software or 'not set'!r}")


def check_protocol(found: str, wanted: str | None, url: str) -> None:
    """UnknownService when a spec insists on a protocol the service does not speak."""
    if wanted and wanted != found:
        names = {PROVIDER: "an Ocean Provider", OCEAN_NODE: "an Ocean Node"}
        raise UnknownService(f"{url} is {names[found]}, but the spec says protocol: {wanted}")
