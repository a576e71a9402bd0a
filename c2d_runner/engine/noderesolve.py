"""Plan time on an Ocean Node: a job's datasets (URLs or DIDs), its algorithm, and the environment
the node's own rules pick for its resources and timeout. Nothing is started here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from c2d_runner.spec.model import JobPlan, PublishedAlgorithm, UrlDatasetRef, thaw


@dataclass(frozen=True)
class NodeInput:
    """One dataset of a node job: the `datasets[]` entry sent, and its DDO when it has one.

    `service` is the node's URL: the engine hands `dataset.ddo, dataset.service` to the compute
    client, which takes a URL wherever it takes a Service.
    """

    entry: Mapping[str, Any]
    service: str
    ddo: Any = None
    url: str = ""

    @property
    def did(self) -> str:
        """The DID, or the URL of a URL dataset (for reports)."""
        return self.ddo.did if self.ddo is not None else self.url

    @property
    def service_id(self) -> str:
        """The DDO service id ("" for a URL dataset)."""
        return str(self.entry.get("serviceId") or "")

    @property
    def compute_input(self) -> Any:
        """The dataset as the payer orders it (a ComputeInput of its DDO service), None for a URL dataset."""
        from c2d_runner.ocean import ComputeInput

        return ComputeInput(self.ddo, self.service_id) if self.ddo is not None else None


@dataclass(frozen=True)
class NodeStart:
    """Everything a node start sends, decided at plan time (a paid one adds its orders' transferTxIds)."""

    choice: Any  # node.environments.Choice
    algorithm: Mapping[str, Any]
    datasets: tuple[Mapping[str, Any], ...]
    warnings: tuple[str, ...] = ()


def resolve_node_job(job: JobPlan, node: Any, ddo_of, envs, chain_id: int | None = None) -> tuple[dict | None, list[str]]:
    """The pieces of a ResolvedJob for a node job, or None and every reason it cannot run.

    `ddo_of(did)` resolves DDOs (through the node's Aquarius routes); `envs` are the node's
    environments (NodeEnvironment), fetched once for all jobs; `chain_id`, the chain the consumer
    pays on, keeps a paid environment to its fees there.
    """
    from c2d_runner.ocean import AlgorithmMetadata, ComputeInput
    from c2d_runner.ocean.node.compute import UrlDataset, algorithm_entry, dataset_entry
    from c2d_runner.ocean.node.environments import EnvironmentChoiceError, choose_environment

    problems: list[str] = []
    inputs = []
    for ref in (job.dataset, *job.additional_datasets):
        if isinstance(ref, UrlDatasetRef):
            url = UrlDataset(ref.url, ref.method, thaw(ref.headers) if ref.headers else None)
            inputs.append(NodeInput(dataset_entry(url), node.url, url=ref.url))
            continue
        ddo = ddo_of(ref.did)
        service = ddo.get_service_by_id(ref.service) or ddo.get_service_by_type(ref.service)
        if service is None:
            problems.append(f"{ref.did} has no service {ref.service!r}")
            continue
        item = ComputeInput(ddo, service, userdata=thaw(ref.userdata) if ref.userdata is not None else None)
        inputs.append(NodeInput(dataset_entry(item), node.url, ddo=ddo))
    algorithm = meta = None
    if isinstance(job.algorithm, PublishedAlgorithm):
        algo_ddo = ddo_of(job.algorithm.did)
        service = (algo_ddo.get_service_by_id(job.algorithm.service) if job.algorithm.service
                   else algo_ddo.get_service_by_type("compute") or (algo_ddo.services[0] if algo_ddo.services else None))
        if service is None or not algo_ddo.metadata.get("algorithm"):
            problems.append(f"{job.algorithm.did} is not a usable algorithm (no service or no metadata.algorithm)")
        else:
            algorithm = ComputeInput(algo_ddo, service)
    else:
        raw = job.algorithm
        meta = AlgorithmMetadata({"rawcode": raw.code, "language": raw.language, "version": raw.version,
                                  "container": {"entrypoint": raw.entrypoint, "image": raw.image, "tag": raw.tag,
                                                "checksum": raw.checksum}})
    try:
        choice = choose_environment(envs, job.environment, thaw(job.resources) if job.resources else None,
                                    job.timeout, node.url, chain_id)
    except EnvironmentChoiceError as exc:
        problems.append(str(exc))
        choice = None
    if problems:
        return None, problems
    warnings = []
    if choice.duration is not None and job.timeout > choice.duration:
        warnings.append(f"timeout {job.timeout:g} s is above the environment's maximum: the node stops the job "
                        f"after maxJobDuration {choice.duration:g} s")
    custom = thaw(job.algocustomdata) if job.algocustomdata is not None else None
    start = NodeStart(choice, algorithm_entry(meta, algorithm, custom, thaw(job.envs) if job.envs else None),
                      tuple(i.entry for i in inputs), tuple(warnings))
    return {"dataset": inputs[0], "additional": tuple(inputs[1:]), "algorithm": algorithm, "algorithm_meta": meta,
            "node_start": start}, []


def describe_node_start(start: NodeStart) -> dict[str, Any]:
    """What `c2d plan` shows for a node job: the environment, its free limits, what the job gets."""
    env, choice = start.choice.env, start.choice
    out: dict[str, Any] = {
        "id": env.id, "free": choice.free, "maxJobDuration": choice.duration,
        "resources": dict(choice.resources),
    }
    if choice.free and env.free is not None:
        out["free_limits"] = {
            "maxJobDuration": env.free.max_job_duration, "maxJobs": env.free.max_jobs,
            "resources": {r.id: r.max for r in env.free.resources},
            "access": list(env.free.access_addresses) or "anyone",
        }
    if not choice.free and choice.price is not None:
        out["cost"] = {"chainId": choice.price.chain_id, "token": choice.price.fee_token, "amount": choice.cost}
    if start.warnings:
        out["warnings"] = list(start.warnings)
    return out
