"""What a compute job consumes: ComputeInput (a dataset or published algorithm) and
AlgorithmMetadata (a raw algorithm), with ocean.py's names and wire shapes."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from c2d_runner.ocean.ddo import DDO, Service, parse_ddo
from c2d_runner.ocean.errors import InvalidComputeRequest


@dataclass(frozen=True)
class ComputeInput:
    """One asset a job consumes: its DDO, the service used, and optionally the order (transfer tx) id.

    `service` may be a Service of `ddo` or a service id.  Unlike ocean.py the object is immutable:
    use `with_transfer_tx_id` to attach an order id.
    """

    ddo: DDO
    service: Service
    transfer_tx_id: str | None = None
    userdata: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        ddo = self.ddo if isinstance(self.ddo, DDO) else parse_ddo(self.ddo)
        object.__setattr__(self, "ddo", ddo)
        service = self.service
        if not isinstance(service, Service):
            found = ddo.get_service_by_id(str(service))
            if found is None:
                raise InvalidComputeRequest(f"{ddo.did} has no service with id {service!r}")
            object.__setattr__(self, "service", found)
        if self.userdata is not None and not isinstance(self.userdata, Mapping):
            raise InvalidComputeRequest(f"userdata must be a dict, got {type(self.userdata).__name__}")

    @property
    def did(self) -> str:
        """The asset's DID (documentId on the wire)."""
        return self.ddo.did

    @property
    def service_id(self) -> str:
        """The service id (serviceId on the wire)."""
        return self.service.id

    def with_transfer_tx_id(self, transfer_tx_id: str) -> "ComputeInput":
        """A copy carrying this order id."""
        return replace(self, transfer_tx_id=transfer_tx_id)

    def as_dictionary(self) -> dict[str, Any]:
        """The wire form: {documentId, serviceId[, transferTxId][, userdata]}."""
        out: dict[str, Any] = {"documentId": self.did, "serviceId": self.service_id}
        if self.transfer_tx_id:
            out["transferTxId"] = self.transfer_tx_id
        if self.userdata:
            out["userdata"] = dict(self.userdata)
        return out


@dataclass(frozen=True, init=False)
class AlgorithmMetadata:
    """A raw (unpublished) algorithm: code or URL plus the container it runs in.

    Build it like ocean.py, from a dict `{"rawcode", "language", "version", "format",
    "container": {"entrypoint", "image", "tag", "checksum"}}` (or "url" instead of "rawcode"),
    or with keyword arguments of the same names (entrypoint/image/tag/checksum flat).
    """

    language: str = ""
    version: str = ""
    format: str = ""
    rawcode: str = ""
    url: str = ""
    container_entry_point: str = ""
    container_image: str = ""
    container_tag: str = ""
    container_checksum: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __init__(self, metadata: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        data = dict(metadata or {})
        container = dict(data.pop("container", None) or {})
        for flat, nested in (("entrypoint", "entrypoint"), ("image", "image"), ("tag", "tag"), ("checksum", "checksum")):
            if flat in kwargs:
                container[nested] = kwargs.pop(flat)
        data.update(kwargs)
        values = {
            "language": data.pop("language", ""),
            "version": data.pop("version", ""),
            "format": data.pop("format", ""),
            "rawcode": data.pop("rawcode", ""),
            "url": data.pop("url", ""),
            "container_entry_point": container.get("entrypoint", ""),
            "container_image": container.get("image", ""),
            "container_tag": container.get("tag", ""),
            "container_checksum": container.get("checksum", ""),
        }
        for name, value in values.items():
            object.__setattr__(self, name, "" if value is None else str(value))
        object.__setattr__(self, "extra", data)
        if not (self.rawcode or self.url or data.get("remote")):
            raise InvalidComputeRequest("AlgorithmMetadata needs 'rawcode' or 'url'")
        if not (self.container_entry_point and self.container_image):
            raise InvalidComputeRequest("AlgorithmMetadata needs container entrypoint and image")

    def as_dictionary(self) -> dict[str, Any]:
        """The wire form sent as algorithm.meta."""
        out: dict[str, Any] = {
            "language": self.language,
            "version": self.version,
            "container": {
                "entrypoint": self.container_entry_point,
                "image": self.container_image,
                "tag": self.container_tag,
                "checksum": self.container_checksum,
            },
        }
        if self.format:
            out["format"] = self.format
        if self.rawcode:
            out["rawcode"] = self.rawcode
        if self.url:
            out["url"] = self.url
        for key, value in self.extra.items():
            out.setdefault(key, value)
        return out
