"""Plan time: resolve every DDO, pick services and environments, and check that each job can run.

Nothing here starts a job or pays for anything. Problems are collected for all jobs at once,
so the user fixes them in one go; the runner starts nothing while any remain.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

from c2d_runner import exitcodes
from c2d_runner.errors import InfrastructureFailure
from c2d_runner.engine.ports import ComputeClient, Wallet
from c2d_runner.spec.model import DatasetRef, JobPlan, PublishedAlgorithm, RawAlgorithm, UrlDatasetRef, thaw

if TYPE_CHECKING:
    from c2d_runner.ocean.ddo import DDO
    from c2d_runner.ocean.inputs import AlgorithmMetadata, ComputeInput
    from c2d_runner.ocean.records import ComputeEnvironment

# Hashed DDO = what the publisher wrote: not the fields Aquarius adds (order counts, prices, the
# nft view with its tokenURI), and not where a service is served from (a mock's port changes at
# every start, a provider may move) -- neither decides what a job computes.
_AQUARIUS_FIELDS = ("nft", "datatokens", "event", "stats", "purgatory", "accessDetails", "indexedMetadata")


class InfrastructureError(InfrastructureFailure):
    """Provider or Aquarius unreachable or answering 5xx while planning."""


@dataclass(frozen=True)
class ResolvedJob:
    """A job ready to start: its inputs as the client takes them and the chosen environment."""

    plan: JobPlan
    dataset: "ComputeInput"
    environment: "ComputeEnvironment"
    additional: "tuple[ComputeInput, ...]" = ()
    algorithm: "ComputeInput | None" = None  # a published algorithm
    algorithm_meta: "AlgorithmMetadata | None" = None  # a raw one
    ddo_hashes: Mapping[str, str] = field(default_factory=dict)
    container_section_checksum: str = ""
    node_start: Any = None  # noderesolve.NodeStart: a start on an Ocean Node (free or paid), decided at plan time

    @property
    def provider(self) -> str:
        """The dataset service's provider (where the job runs; a node job's datasets carry its URL)."""
        service = self.dataset.service
        return (service if isinstance(service, str) else service.service_endpoint).rstrip("/")

    @property
    def custom_data(self) -> dict | None:
        """The algorithm custom data as plain JSON."""
        return thaw(self.plan.algocustomdata) if self.plan.algocustomdata is not None else None


def ddo_hash(ddo) -> str:
    """sha256 of the DDO as published: canonical JSON without Aquarius' fields or service endpoints."""
    data = {k: v for k, v in dict(ddo.raw or ddo.as_dictionary()).items() if k not in _AQUARIUS_FIELDS}
    data["services"] = [{k: v for k, v in dict(s).items() if k != "serviceEndpoint"}
                        for s in data.get("services") or [] if isinstance(s, dict)]
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def custom_data_hash(value) -> str:
    """sha256 of the canonical JSON of algorithm custom data (None hashes as null)."""
    return hashlib.sha256(json.dumps(thaw(value), sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class Resolver:
    """Resolves jobs against one target, caching DDOs and environments across jobs."""

    def __init__(self, compute: ComputeClient, wallet: Wallet, chain_id: int | None, target_url: str | None = None):
        self.compute = compute
        self.wallet = wallet
        self.chain_id = chain_id
        self.target_url = target_url
        self._node_envs: tuple | None = None
        self._ddos: dict[str, DDO] = {}
        self._envs: dict[str, tuple[ComputeEnvironment, ...]] = {}
        self._consumable: dict[tuple, int] = {}

    def ddo(self, did: str) -> "DDO":
        """The DDO for a DID (cached)."""
        if did not in self._ddos:
            self._ddos[did] = self.compute.aquarius.resolve(did)
        return self._ddos[did]

    def environments(self, provider: str) -> "tuple[ComputeEnvironment, ...]":
        """The provider's environments for this chain (cached)."""
        if provider not in self._envs:
            self._envs[provider] = tuple(self.compute.get_c2d_environments(provider, self.chain_id))
        return self._envs[provider]

    def node(self):
        """The NodeCompute when the target is an Ocean Node, else None (root read once)."""
        nodes = getattr(self.compute, "nodes", None)
        if nodes is None or not self.target_url:
            return None
        nodes.protocol(self.target_url)  # neither a Provider nor an Ocean Node: UnknownService
        return nodes.for_url(self.target_url)

    def resolve(self, job: JobPlan) -> tuple[ResolvedJob | None, list[str]]:
        """The ResolvedJob, or None and every reason it cannot run."""
        from c2d_runner.ocean import AlgorithmMetadata, ComputeInput
        from c2d_runner.ocean.errors import OceanError
        from c2d_runner.ocean.protocol import UnknownService

        try:
            if not isinstance(job.dataset, UrlDatasetRef):
                self.ddo(job.dataset.did)  # the DDO first, as ever: a Provider run starts there
            node = self.node()
        except UnknownService:
            raise  # the target is neither a Provider nor a node: not a problem of this job
        except OceanError as exc:
            return None, _problems_of(exc)
        if node is not None:
            return self._resolve_node(job, node)
        if self.chain_id is None:
            return None, [f"{self.target_url} is an Ocean Provider: give the target a chain_id"]
        if any(isinstance(ref, UrlDatasetRef) for ref in (job.dataset, *job.additional_datasets)):
            return None, ["a dataset by url needs an Ocean Node target; this target is an Ocean Provider"]
        problems: list[str] = []
        try:
            dataset, dataset_ddo = self._input(job.dataset, problems, main=True)
            additional = [self._input(ref, problems, main=False) for ref in job.additional_datasets]
            algorithm = meta = None
            algo_ddo = None
            if isinstance(job.algorithm, PublishedAlgorithm):
                algo_ddo = self.ddo(job.algorithm.did)
                if not algo_ddo.is_algorithm:
                    problems.append(f"{job.algorithm.did} is not an algorithm (metadata.type is "
                                    f"{algo_ddo.metadata.get('type')!r})")
                else:
                    service = (algo_ddo.get_service_by_id(job.algorithm.service) if job.algorithm.service
                               else algo_ddo.get_service_by_type("compute") or
                               (algo_ddo.services[0] if algo_ddo.services else None))
                    if service is None:
                        problems.append(f"algorithm {algo_ddo.did} has no service {job.algorithm.service!r}")
                    else:
                        algorithm = ComputeInput(algo_ddo, service)
            else:
                meta = _raw_metadata(job.algorithm, AlgorithmMetadata)
            section = _container_checksum(job.algorithm, algo_ddo)
            if dataset is not None:
                for item in [dataset] + [a for a, _ in additional if a is not None]:
                    problems += _trust_problems(item, job.algorithm, algo_ddo, section)
                environment = self._environment(dataset.service.service_endpoint, job.environment, problems)
            else:
                environment = None
        except OceanError as exc:
            return None, _problems_of(exc)
        if problems:
            return None, problems
        hashes = {job.dataset.did: ddo_hash(dataset_ddo)}
        for (_, ddo) in additional:
            hashes[ddo.did] = ddo_hash(ddo)
        if algo_ddo is not None:
            hashes[algo_ddo.did] = ddo_hash(algo_ddo)
        return ResolvedJob(plan=job, dataset=dataset, additional=tuple(a for a, _ in additional),
                           algorithm=algorithm, algorithm_meta=meta, environment=environment,
                           ddo_hashes=hashes, container_section_checksum=section), []

    def _resolve_node(self, job: JobPlan, node) -> tuple[ResolvedJob | None, list[str]]:
        """A node job: URL or DID datasets, the algorithm, and the environment by the node's rules."""
        from c2d_runner.engine.noderesolve import resolve_node_job
        from c2d_runner.ocean.errors import OceanError
        from c2d_runner.ocean.messages import parse_environment
        from c2d_runner.ocean.node.facade import environment_dict

        try:
            if self._node_envs is None:
                self._node_envs = node.environments()
            parts, problems = resolve_node_job(job, node, self.ddo, self._node_envs, self.chain_id)
        except OceanError as exc:
            return None, _problems_of(exc)
        if parts is None:
            return None, problems
        ddos = [i.ddo for i in (parts["dataset"], *parts["additional"]) if i.ddo is not None]
        if parts["algorithm"] is not None:
            ddos.append(parts["algorithm"].ddo)
        environment = parse_environment(environment_dict(parts["node_start"].choice.env))
        return ResolvedJob(plan=job, environment=environment, ddo_hashes={d.did: ddo_hash(d) for d in ddos},
                           container_section_checksum=_container_checksum(job.algorithm, None), **parts), []

    def _input(self, ref: DatasetRef, problems: list[str], *, main: bool):
        from c2d_runner.ocean import ComputeInput
        from c2d_runner.ocean.consumable import ConsumableCodes
        from c2d_runner.ocean.errors import AssetNotConsumable

        ddo = self.ddo(ref.did)
        service = ddo.get_service_by_id(ref.service) or ddo.get_service_by_type(ref.service)
        if service is None:
            kinds = ", ".join(f"{s.id} ({s.type})" for s in ddo.services) or "none"
            problems.append(f"{ref.did} has no service {ref.service!r} (it has: {kinds})")
            return None, ddo
        if main and not service.is_compute:
            problems.append(f"{ref.did} service {service.id!r} is of type {service.type!r}; the first dataset "
                            "of a job must use a compute service")
        key = (ddo.did, service.id)
        if key not in self._consumable:
            self._consumable[key] = int(self.compute.is_consumable(ddo, service, self.wallet.address))
        code = self._consumable[key]
        if code != ConsumableCodes.OK:
            problems.append(str(AssetNotConsumable(code, ddo.did)))
        userdata = thaw(ref.userdata) if ref.userdata is not None else None
        return ComputeInput(ddo, service, userdata=userdata), ddo

    def _environment(self, provider: str, choice: str, problems: list[str]) -> "ComputeEnvironment | None":
        envs = self.environments(provider.rstrip("/"))
        if not envs:
            problems.append(f"provider {provider} offers no compute environment for chain {self.chain_id}")
            return None
        if choice == "free":
            free = [e for e in envs if e.is_free]
            if not free:
                listed = ", ".join(f"{e.id} (priceMin {e.price_min:g})" for e in envs)
                problems.append(f"no free environment at {provider} (there are: {listed}); "
                                "use environment: cheapest or an id")
                return None
            return free[0]
        if choice == "cheapest":
            return min(envs, key=lambda e: e.price_min)
        for env in envs:
            if env.id == choice:
                return env
        problems.append(f"environment {choice!r} not found at {provider} (there are: "
                        f"{', '.join(e.id for e in envs)})")
        return None


def _problems_of(exc) -> list[str]:
    """A client error met while planning, as the job's problems; a service that gave no answer (or
    a 5xx) stops the whole plan instead (InfrastructureError, exit 3)."""
    from c2d_runner.ocean.errors import DDONotFound, ServiceError

    if isinstance(exc, DDONotFound):
        return [f"DDO not found: {exc.detail}"]
    if isinstance(exc, ServiceError) and exc.exit_code == exitcodes.INFRASTRUCTURE:
        raise InfrastructureError(str(exc)) from None
    return [str(exc)]


def _raw_metadata(raw: RawAlgorithm, cls):
    return cls({"rawcode": raw.code, "language": raw.language, "version": raw.version,
                "container": {"entrypoint": raw.entrypoint, "image": raw.image, "tag": raw.tag,
                              "checksum": raw.checksum}})


def _container_checksum(algorithm, algo_ddo) -> str:
    from c2d_runner.wire import container_section_checksum

    if isinstance(algorithm, RawAlgorithm):
        return container_section_checksum(algorithm.entrypoint, algorithm.checksum)
    if algo_ddo is not None and algo_ddo.algorithm is not None:
        container = algo_ddo.algorithm.container
        return container_section_checksum(container.entrypoint, container.checksum)
    return ""


def _trust_problems(item, algorithm, algo_ddo, section_checksum: str) -> list[str]:
    """The Python Provider's trusted-algorithm rules for one compute dataset (empty lists allow).

    The provider has the final word (and may run Ocean Node's stricter policy); this catches what
    would surely be refused, before anything is ordered or started.
    """
    service = item.service
    options = service.compute
    if not service.is_compute or options is None:
        return []
    where = f"dataset {item.did} (service {service.id})"
    if isinstance(algorithm, RawAlgorithm):
        return [] if options.allow_raw_algorithm else [
            f"{where} does not allow raw algorithms (allowRawAlgorithm is false): no_raw_algo_allowed"]
    if algo_ddo is None:
        return []
    problems = []
    publishers = options.trusted_algorithm_publishers
    owner = algo_ddo.nft_owner
    if publishers and "*" not in publishers and owner.lower() not in {p.lower() for p in publishers}:
        problems.append(f"{where} does not trust the publisher {owner or '(unknown)'} of algorithm "
                        f"{algo_ddo.did}: not_trusted_algo_publisher")
    trusted = options.trusted_algorithms
    if trusted:
        entries = [t for t in trusted if t.did in (algo_ddo.did, "*")]
        if not entries:
            problems.append(f"{where} does not list algorithm {algo_ddo.did} among its trusted algorithms: "
                            "not_trusted_algo")
        elif all(t.container_section_checksum not in (None, "", "*", section_checksum) for t in entries):
            problems.append(f"{where} trusts algorithm {algo_ddo.did} with another container "
                            f"(containerSectionChecksum differs): algorithm_container_checksum_mismatch")
    return problems
