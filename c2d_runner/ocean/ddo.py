"""A tolerant, read-only model of Ocean DDO v4.x with ocean.py's attribute names.

Aquarius adds `nft`, `datatokens`, `event`, `stats`, `purgatory` at the top level; the newer DDO
layout and ocean-node put them under `indexedMetadata`.  We read both.  Unknown fields are kept in
`raw` so nothing is lost when a DDO is passed on.  Legacy v3 DDOs (no `version`, a `service` list)
are refused with UnsupportedDDO instead of failing somewhere deep in a KeyError.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

from c2d_runner import wire
from c2d_runner.ocean.did import did_matches, is_valid_did
from c2d_runner.ocean.errors import InvalidDDO, UnsupportedDDO

SERVICE_COMPUTE = "compute"
SERVICE_ACCESS = "access"
# nft.state values under which an asset can be ordered or consumed (0 Active, 5 Unlisted).
CONSUMABLE_NFT_STATES = frozenset({0, 5})


@dataclass(frozen=True)
class TrustedAlgorithm:
    """One `publisherTrustedAlgorithms` entry; any field may be "*" (ocean-node wildcard)."""

    did: str
    files_checksum: str | None = None
    container_section_checksum: str | None = None
    service_id: str | None = None


@dataclass(frozen=True)
class ComputeOptions:
    """A compute service's `compute` object."""

    allow_raw_algorithm: bool = False
    allow_network_access: bool = False
    trusted_algorithm_publishers: tuple[str, ...] = ()
    trusted_algorithms: tuple[TrustedAlgorithm, ...] = ()


@dataclass(frozen=True)
class Container:
    """`metadata.algorithm.container`: how the algorithm runs."""

    entrypoint: str = ""
    image: str = ""
    tag: str = ""
    checksum: str = ""

    @property
    def section_checksum(self) -> str:
        """containerSectionChecksum = sha256(entrypoint + checksum)."""
        return wire.container_section_checksum(self.entrypoint, self.checksum)


@dataclass(frozen=True)
class ConsumerParameter:
    """A consumerParameters item (on a service, or on metadata.algorithm)."""

    name: str
    type: str = "text"
    label: str = ""
    required: bool = False
    description: str = ""
    default: Any = None
    options: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Credentials:
    """Address allow and deny lists (only `type: address` entries matter to consumability)."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    """A DDO service with ocean.py's attribute names."""

    id: str
    type: str
    service_endpoint: str
    datatoken: str = ""
    files: Any = None
    timeout: int = 0
    name: str = ""
    description: str = ""
    compute_values: Mapping[str, Any] | None = None
    compute: ComputeOptions | None = None
    consumer_parameters: tuple[ConsumerParameter, ...] = ()
    additional_information: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_compute(self) -> bool:
        """True for a compute service."""
        return self.type == SERVICE_COMPUTE

    def as_dictionary(self) -> dict[str, Any]:
        """The service as it appeared in the DDO (a deep copy)."""
        return copy.deepcopy(dict(self.raw))


@dataclass(frozen=True)
class Algorithm:
    """`metadata.algorithm` of an algorithm DDO."""

    language: str = ""
    version: str = ""
    format: str = ""
    container: Container = field(default_factory=Container)
    consumer_parameters: tuple[ConsumerParameter, ...] = ()


@dataclass(frozen=True)
class DDO:
    """An Ocean v4.x DDO; build it with `DDO.from_dict`."""

    did: str
    version: str
    chain_id: int | None
    nft_address: str
    metadata: Mapping[str, Any]
    services: tuple[Service, ...]
    credentials: Mapping[str, Any]
    nft: Mapping[str, Any] | None = None
    datatokens: tuple[Mapping[str, Any], ...] = ()
    event: Mapping[str, Any] | None = None
    stats: Any = None
    purgatory: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Any) -> "DDO":
        """Read a v4.x DDO dict; raise UnsupportedDDO for v3 and InvalidDDO for malformed input."""
        return parse_ddo(data)

    def as_dictionary(self) -> dict[str, Any]:
        """The DDO as received (a deep copy)."""
        return copy.deepcopy(dict(self.raw))

    # ocean.py names -------------------------------------------------------------------------
    def get_service_by_id(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        return next((s for s in self.services if s.id == str(service_id)), None)

    def get_service_by_type(self, service_type: str) -> Service | None:
        """The first service of this type ("compute", "access"), or None."""
        return next((s for s in self.services if s.type == service_type), None)

    def get_index_of_service(self, service: Service) -> int | None:
        """Position of `service` in `services`, or None."""
        return next((i for i, s in enumerate(self.services) if s.id == service.id), None)

    @property
    def is_algorithm(self) -> bool:
        """True when metadata.type is "algorithm"."""
        return self.metadata.get("type") == "algorithm"

    @property
    def algorithm(self) -> Algorithm | None:
        """metadata.algorithm, parsed, for an algorithm DDO."""
        algo = self.metadata.get("algorithm")
        return _algorithm(algo) if isinstance(algo, Mapping) else None

    @property
    def nft_owner(self) -> str:
        """nft.owner (the publisher's address), "" when Aquarius gave none."""
        return str((self.nft or {}).get("owner") or "")

    @property
    def nft_state(self) -> int | None:
        """nft.state (0 Active ... 5 Unlisted), None when Aquarius gave no nft section."""
        if not self.nft or self.nft.get("state") is None:
            return None
        try:
            return int(self.nft["state"])
        except (TypeError, ValueError):
            return None

    @property
    def is_disabled(self) -> bool:
        """ocean.py's rule: disabled when metadata is empty or nft.state is not 0 or 5."""
        if not self.metadata:
            return True
        if self.nft is None:
            return False
        return self.nft_state not in CONSUMABLE_NFT_STATES

    @property
    def address_credentials(self) -> Credentials:
        """The address allow/deny lists."""
        return Credentials(
            allow=_addresses(self.credentials.get("allow")),
            deny=_addresses(self.credentials.get("deny")),
        )

    @property
    def did_is_valid(self) -> bool:
        """True when the id has DID syntax and is the one derived from nftAddress + chainId."""
        return bool(self.chain_id is not None) and did_matches(self.did, self.nft_address, self.chain_id)

    def generate_trusted_algorithms(self, files_checksum: str = "") -> dict[str, str]:
        """A publisherTrustedAlgorithms entry for this algorithm DDO (filesChecksum as given)."""
        algo = self.algorithm
        if algo is None:
            raise InvalidDDO(f"{self.did} is not an algorithm DDO (no metadata.algorithm)")
        return {
            "did": self.did,
            "filesChecksum": files_checksum,
            "containerSectionChecksum": algo.container.section_checksum,
        }


def parse_ddo(data: Any) -> DDO:
    """Build a DDO from a dict; pure, tolerant of where Aquarius put its indexed fields."""
    if not isinstance(data, Mapping):
        raise InvalidDDO(f"a DDO must be a JSON object, got {type(data).__name__}")
    did = data.get("id")
    if "version" not in data:
        if "service" in data or "services" not in data:
            raise UnsupportedDDO(
                f"unsupported DDO {did or '(no id)'}: legacy v3 format (no 'version', 'service' list); "
                "this client reads Ocean DDO v4.x"
            )
    version = str(data.get("version", ""))
    if version and not version.startswith("4."):
        raise UnsupportedDDO(f"unsupported DDO {did or '(no id)'}: version {version!r}, expected 4.x")
    if not isinstance(did, str) or not did.startswith("did:"):
        raise InvalidDDO(f"DDO has no usable 'id' (got {did!r})")
    services = data.get("services")
    if not isinstance(services, list):
        raise InvalidDDO(f"DDO {did}: 'services' must be a list")
    indexed = data.get("indexedMetadata") if isinstance(data.get("indexedMetadata"), Mapping) else {}

    def indexed_field(name: str) -> Any:
        # Top level (Aquarius today) wins over indexedMetadata (new DDO layout, ocean-node).
        value = data.get(name)
        return value if value is not None else indexed.get(name)

    metadata = data.get("metadata")
    credentials = data.get("credentials")
    datatokens = indexed_field("datatokens")
    return DDO(
        did=did,
        version=version,
        chain_id=_opt_int(data.get("chainId"), f"DDO {did}: chainId"),
        nft_address=str(data.get("nftAddress") or ""),
        metadata=metadata if isinstance(metadata, Mapping) else {},
        services=tuple(_service(s, did, i) for i, s in enumerate(services)),
        credentials=credentials if isinstance(credentials, Mapping) else {},
        nft=indexed_field("nft") if isinstance(indexed_field("nft"), Mapping) else None,
        datatokens=tuple(d for d in datatokens if isinstance(d, Mapping)) if isinstance(datatokens, list) else (),
        event=indexed_field("event") if isinstance(indexed_field("event"), Mapping) else None,
        stats=indexed_field("stats"),
        purgatory=indexed_field("purgatory") if isinstance(indexed_field("purgatory"), Mapping) else None,
        raw=copy.deepcopy(dict(data)),
    )


def files_checksum(contents: list[bytes]) -> str:
    """filesChecksum of algorithm file contents (sha256 hex of each, concatenated, in order)."""
    return wire.files_checksum(contents)


def container_section_checksum(entrypoint: str, checksum: str) -> str:
    """containerSectionChecksum = sha256_hex(entrypoint + image checksum)."""
    return wire.container_section_checksum(entrypoint, checksum)


def _service(data: Any, did: str, index: int) -> Service:
    if not isinstance(data, Mapping):
        raise InvalidDDO(f"DDO {did}: services[{index}] must be an object")
    if not data.get("type"):
        raise InvalidDDO(f"DDO {did}: services[{index}] has no 'type'")
    compute = data.get("compute")
    extra = data.get("additionalInformation")
    return Service(
        id=str(data.get("id", index)),
        type=str(data["type"]),
        service_endpoint=str(data.get("serviceEndpoint") or "").rstrip("/"),
        datatoken=str(data.get("datatokenAddress") or ""),
        files=data.get("files"),
        timeout=_opt_int(data.get("timeout"), f"DDO {did}: services[{index}].timeout") or 0,
        name=str(data.get("name") or ""),
        description=str(data.get("description") or ""),
        compute_values=compute if isinstance(compute, Mapping) else None,
        compute=_compute(compute) if isinstance(compute, Mapping) else None,
        consumer_parameters=_parameters(data.get("consumerParameters")),
        additional_information=extra if isinstance(extra, Mapping) else None,
        raw=copy.deepcopy(dict(data)),
    )


def _compute(data: Mapping[str, Any]) -> ComputeOptions:
    publishers = data.get("publisherTrustedAlgorithmPublishers") or []
    algos = data.get("publisherTrustedAlgorithms") or []
    return ComputeOptions(
        allow_raw_algorithm=bool(data.get("allowRawAlgorithm", False)),
        allow_network_access=bool(data.get("allowNetworkAccess", False)),
        trusted_algorithm_publishers=tuple(str(p) for p in publishers) if isinstance(publishers, list) else (),
        trusted_algorithms=tuple(
            TrustedAlgorithm(
                did=str(a.get("did", "")),
                files_checksum=_opt_str(a.get("filesChecksum")),
                container_section_checksum=_opt_str(a.get("containerSectionChecksum")),
                service_id=_opt_str(a.get("serviceId")),
            )
            for a in (algos if isinstance(algos, list) else [])
            if isinstance(a, Mapping)
        ),
    )


def _algorithm(data: Mapping[str, Any]) -> Algorithm:
    container = data.get("container") if isinstance(data.get("container"), Mapping) else {}
    return Algorithm(
        language=str(data.get("language") or ""),
        version=str(data.get("version") or ""),
        format=str(data.get("format") or ""),
        container=Container(
            entrypoint=str(container.get("entrypoint") or ""),
            image=str(container.get("image") or ""),
            tag=str(container.get("tag") or ""),
            checksum=str(container.get("checksum") or ""),
        ),
        consumer_parameters=_parameters(data.get("consumerParameters")),
    )


def _parameters(items: Any) -> tuple[ConsumerParameter, ...]:
    if not isinstance(items, list):
        return ()
    out = []
    for item in items:
        if not isinstance(item, Mapping) or not item.get("name"):
            continue
        options = item.get("options")
        out.append(
            ConsumerParameter(
                name=str(item["name"]),
                type=str(item.get("type") or "text"),
                label=str(item.get("label") or ""),
                required=_truthy(item.get("required")),
                description=str(item.get("description") or ""),
                default=item.get("default"),
                options=tuple(options) if isinstance(options, list) else (),
            )
        )
    return tuple(out)


def _addresses(entries: Any) -> tuple[str, ...]:
    if not isinstance(entries, list):
        return ()
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("type") == "address":
            values = entry.get("values") or []
            out.extend(str(v) for v in values if isinstance(values, list))
    return tuple(out)


def _truthy(value: Any) -> bool:
    # Some publish tools write "required": "true" / "false" as strings.
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_int(value: Any, what: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidDDO(f"{what} must be an integer, got {value!r}") from None


__all__ = [
    "DDO",
    "Service",
    "ComputeOptions",
    "TrustedAlgorithm",
    "Container",
    "Algorithm",
    "ConsumerParameter",
    "Credentials",
    "parse_ddo",
    "files_checksum",
    "container_section_checksum",
    "is_valid_did",
]
