"""The world a mock Ocean serves: datasets, algorithms, environments, runtimes, read from YAML.

Loading is: document (YAML + JSON Schema, through the shared `c2d_runner.yamldoc` loader) -> semantic checks
(names, references, files) -> frozen objects.  Nothing here does HTTP; DDOs are built from these
objects in `ddo.py`.  Bad worlds raise `WorldInvalid` listing every problem at once.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from c2d_runner import wire
from c2d_runner.errors import InvalidInput
from c2d_runner.yamldoc import LoadedDocument, SpecInvalid, load_checked, parse_document

DEFAULT_WORLD = pathlib.Path(__file__).parent / "worlds" / "default" / "world.yaml"
TRUST_POLICIES = ("provider-py", "ocean-node")
THIS_INTERPRETER = "this-interpreter"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class WorldInvalid(InvalidInput):
    """A world file that cannot be served; `problems` holds one line per problem."""

    def __init__(self, path: pathlib.Path, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(problems)
        super().__init__(f"invalid world {path}: {len(problems)} problem(s)\n{lines}")


@dataclass(frozen=True)
class Asset:
    """What callers of MockOcean see of an asset: its name, kind, DID and (service_id, type) pairs."""

    name: str
    kind: str  # "dataset" | "algorithm"
    did: str
    services: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TrustedAlgorithm:
    """One entry of publisherTrustedAlgorithms, checksums resolved (or "*" / None)."""

    did: str
    filesChecksum: str | None
    containerSectionChecksum: str | None


@dataclass(frozen=True)
class ComputeOptions:
    """A compute service's `compute` object."""

    allowRawAlgorithm: bool = False
    allowNetworkAccess: bool = False
    publisherTrustedAlgorithms: tuple[TrustedAlgorithm, ...] = ()
    publisherTrustedAlgorithmPublishers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    """A DDO service: id, type (access | compute), timeout, compute options."""

    id: str
    type: str
    name: str
    timeout: int
    datatoken: str
    compute: ComputeOptions | None


@dataclass(frozen=True)
class Container:
    """metadata.algorithm.container."""

    entrypoint: str
    image: str
    tag: str
    checksum: str


@dataclass(frozen=True)
class WorldAsset:
    """A dataset or algorithm of the world with everything needed to build its DDO and run it."""

    name: str
    kind: str
    nft_address: str
    did: str
    owner: str
    files: tuple[pathlib.Path, ...]
    content_type: str
    nft_state: int
    allow: tuple[str, ...]
    deny: tuple[str, ...]
    services: tuple[Service, ...]
    description: str
    author: str
    license: str
    tags: tuple[str, ...]
    language: str = ""
    container: Container | None = None
    consumer_parameters: tuple[Mapping[str, Any], ...] = ()

    def service(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        return next((s for s in self.services if s.id == service_id), None)

    def file_bytes(self) -> tuple[bytes, ...]:
        """Contents of the asset's files (algorithms are small code files)."""
        return tuple(p.read_bytes() for p in self.files)


@dataclass(frozen=True)
class Environment:
    """A compute environment as configured (served with coerced types by the provider layer)."""

    id: str
    desc: str
    cpuNumber: int
    ramGB: float
    diskGB: float
    priceMin: float
    maxJobDuration: float
    maxJobs: int
    storageExpiry: int
    consumerAddress: str
    feeToken: str
    require_fee: bool


@dataclass(frozen=True)
class Runtime:
    """Container image (and optional tag) -> local command map."""

    image: str
    tag: str | None
    commands: Mapping[str, str]


@dataclass(frozen=True)
class World:
    """Everything a mock Ocean serves, immutable."""

    path: pathlib.Path
    chain_id: int
    trust_policy: str
    faults: str | None
    publisher: str
    provider_address: str
    datasets: tuple[WorldAsset, ...]
    algorithms: tuple[WorldAsset, ...]
    environments: tuple[Environment, ...]
    runtimes: tuple[Runtime, ...] = field(default=())

    @property
    def assets(self) -> tuple[WorldAsset, ...]:
        """Datasets then algorithms, in world order."""
        return self.datasets + self.algorithms

    def by_did(self, did: str) -> WorldAsset | None:
        """The asset with this DID, or None."""
        return next((a for a in self.assets if a.did == did), None)

    def environment(self, env_id: str) -> Environment | None:
        """The environment with this id, or None."""
        return next((e for e in self.environments if e.id == env_id), None)

    def command_map(self, image: str, tag: str) -> dict[str, str] | None:
        """Local commands for a container image:tag, or None when no runtime matches."""
        for rt in self.runtimes:
            if rt.image == image and (rt.tag is None or rt.tag == tag):
                return dict(rt.commands)
        return None


def public_asset(asset: WorldAsset) -> Asset:
    """The small public view of a world asset."""
    return Asset(asset.name, asset.kind, asset.did, tuple((s.id, s.type) for s in asset.services))


def derived_address(label: str) -> str:
    """A deterministic checksummed address for things the world leaves unnamed (datatokens, envs)."""
    return wire.checksum_address("0x" + hashlib.sha256(label.encode("utf-8")).hexdigest()[:40])


def provider_address() -> str:
    """The mock Provider's address: that of the well-known TEST_PROVIDER_KEY."""
    return wire.address_of(wire.TEST_PROVIDER_KEY)


# --- loading --------------------------------------------------------------------------------------

def load_world(path: str | os.PathLike | None = None) -> World:
    """Load and check a world file (None = the bundled default world)."""
    path = pathlib.Path(path) if path is not None else DEFAULT_WORLD
    doc = _document(path, exact=False)
    world, problems = _checked(path, doc)
    if problems and not doc.positions.values:  # read by the fast path, which keeps no positions
        world, problems = _checked(path, _document(path, exact=True))
    if problems:
        raise WorldInvalid(path, problems)
    return world


def _document(path: pathlib.Path, *, exact: bool) -> LoadedDocument:
    """YAML + ${VAR} + world.schema.json through the shared loader; WorldInvalid on any problem."""
    try:
        if not exact:
            return load_checked(path, "world")
        doc, problems = parse_document(path, "world")
        if problems:
            raise SpecInvalid(problems)
        return doc
    except SpecInvalid as exc:
        raise WorldInvalid(path, [d.format() for d in exc.diagnostics]) from None


def _checked(path: pathlib.Path, doc: LoadedDocument) -> tuple[World, list[str]]:
    problems: list[str] = []

    def problem(where: tuple, message: str) -> None:
        problems.append(doc.diagnostic(where, message).format())

    return _build(path, doc.data, problem), problems


def _build(path: pathlib.Path, data: dict, problem: Callable[[tuple, str], None]) -> World:
    chain_id = int(data["chain_id"])
    base = path.resolve().parent
    publisher = wire.checksum_address(data.get("publisher") or derived_address("publisher"))
    seen_names: dict[str, tuple] = {}
    seen_dids: dict[str, tuple] = {}

    def common(kind: str, i: int, raw: dict) -> dict:
        where = (kind + "s", i)
        name = raw["name"]
        if name in seen_names:
            problem(where + ("name",), f"name {name!r} is already used at {'/'.join(map(str, seen_names[name]))}")
        seen_names[name] = where
        nft = wire.checksum_address(raw["nft_address"])
        did = wire.derive_did(nft, chain_id)
        if did in seen_dids:
            problem(where + ("nft_address",), f"nft_address gives the same DID as {'/'.join(map(str, seen_dids[did]))}")
        seen_dids[did] = where
        files = []
        for j, f in enumerate(raw["files"]):
            p = (base / f).resolve()
            if not p.is_file():
                problem(where + ("files", j), f"file {f!r} not found (looked for {p})")
            files.append(p)
        return dict(
            name=name, kind=kind, nft_address=nft, did=did,
            owner=wire.checksum_address(raw.get("owner") or publisher),
            files=tuple(files), nft_state=int(raw.get("nft_state", 0)),
            description=raw.get("description", f"{name} ({kind}) served by the c2d-runner mock Ocean"),
            author=raw.get("author", "c2d-runner mock"), license=raw.get("license", "CC0-1.0"),
            tags=tuple(raw.get("tags", ())),
        )

    algorithms = []
    for i, raw in enumerate(data.get("algorithms") or []):
        c = raw["container"]
        fields = common("algorithm", i, raw)
        sid = raw.get("service_id", "compute")
        algorithms.append(WorldAsset(
            **fields, content_type="text/plain", allow=(), deny=(),
            services=(Service(sid, "compute", "Compute service", 0, derived_address(f"dt:{fields['nft_address']}:{sid}"), None),),
            language=raw.get("language", "python"),
            container=Container(c["entrypoint"], c["image"], c["tag"], c["checksum"]),
            consumer_parameters=tuple(raw.get("consumerParameters") or ()),
        ))
    by_name = {a.name: a for a in algorithms}

    datasets = []
    for i, raw in enumerate(data.get("datasets") or []):
        fields = common("dataset", i, raw)
        services, ids = [], set()
        for j, s in enumerate(raw["services"]):
            where = ("datasets", i, "services", j)
            if s["id"] in ids:
                problem(where + ("id",), f"service id {s['id']!r} is used twice")
            ids.add(s["id"])
            compute = None
            if s["type"] == "compute":
                compute = _compute_options(s.get("compute") or {}, by_name, where + ("compute",), problem)
            elif "compute" in s:
                problem(where + ("compute",), "only a compute service has compute options")
            services.append(Service(
                s["id"], s["type"], s.get("name", "Compute service" if s["type"] == "compute" else "Download service"),
                int(s.get("timeout", 0)), derived_address(f"dt:{fields['nft_address']}:{s['id']}"), compute,
            ))
        cred = raw.get("credentials") or {}
        datasets.append(WorldAsset(
            **fields, content_type=raw.get("content_type", _guess_type(fields["files"])),
            allow=tuple(wire.checksum_address(a) for a in cred.get("allow", ())),
            deny=tuple(wire.checksum_address(a) for a in cred.get("deny", ())),
            services=tuple(services),
        ))

    envs, env_ids = [], set()
    for i, e in enumerate(data["environments"]):
        if e["id"] in env_ids:
            problem(("environments", i, "id"), f"environment id {e['id']!r} is used twice")
        env_ids.add(e["id"])
        envs.append(Environment(
            id=e["id"], desc=e.get("desc", ""), cpuNumber=int(e.get("cpuNumber", 1)),
            ramGB=e.get("ramGB", 1), diskGB=e.get("diskGB", 1), priceMin=e.get("priceMin", 0),
            maxJobDuration=e.get("maxJobDuration", 60), maxJobs=int(e.get("maxJobs", 10)),
            storageExpiry=int(e.get("storageExpiry", 0)),
            consumerAddress=wire.checksum_address(e.get("consumerAddress") or derived_address(f"env:{e['id']}")),
            feeToken=wire.checksum_address(e.get("feeToken") or ZERO_ADDRESS),
            require_fee=bool(e.get("require_fee", False)),
        ))

    runtimes = []
    for i, r in enumerate(data.get("runtimes") or []):
        commands = {}
        for prog, target in r["commands"].items():
            resolved = sys.executable if target == THIS_INTERPRETER else shutil.which(target)
            if resolved:  # a runtime missing on this machine just is not offered (jobs get 32)
                commands[prog] = resolved
        runtimes.append(Runtime(r["image"], r.get("tag"), commands))

    return World(
        path=path, chain_id=chain_id, trust_policy=data.get("trust_policy", "provider-py"),
        faults=data.get("faults"), publisher=publisher, provider_address=provider_address(),
        datasets=tuple(datasets), algorithms=tuple(algorithms), environments=tuple(envs), runtimes=tuple(runtimes),
    )


def _compute_options(raw: dict, algorithms: dict[str, WorldAsset], where: tuple, problem) -> ComputeOptions:
    trusted = []
    for k, t in enumerate(raw.get("publisherTrustedAlgorithms") or []):
        if "algorithm" in t:
            algo = algorithms.get(t["algorithm"])
            if algo is None:
                problem(where + ("publisherTrustedAlgorithms", k, "algorithm"), f"no algorithm named {t['algorithm']!r} in this world")
                continue
            files_sum, container_sum = algorithm_checksums(algo)
            trusted.append(TrustedAlgorithm(algo.did, t.get("filesChecksum", files_sum), t.get("containerSectionChecksum", container_sum)))
        else:
            trusted.append(TrustedAlgorithm(t["did"], t.get("filesChecksum"), t.get("containerSectionChecksum")))
    return ComputeOptions(
        allowRawAlgorithm=bool(raw.get("allowRawAlgorithm", False)),
        allowNetworkAccess=bool(raw.get("allowNetworkAccess", False)),
        publisherTrustedAlgorithms=tuple(trusted),
        publisherTrustedAlgorithmPublishers=tuple(
            p if p == "*" else wire.checksum_address(p) for p in raw.get("publisherTrustedAlgorithmPublishers") or ()
        ),
    )


def algorithm_checksums(algo: WorldAsset) -> tuple[str, str]:
    """(filesChecksum, containerSectionChecksum) computed the real way from files and container."""
    assert algo.container is not None
    return (
        wire.files_checksum(list(algo.file_bytes())),
        wire.container_section_checksum(algo.container.entrypoint, algo.container.checksum),
    )


def _guess_type(files: tuple[pathlib.Path, ...]) -> str:
    import mimetypes

    if not files:
        return "application/octet-stream"
    return mimetypes.guess_type(files[0].name)[0] or "application/octet-stream"
