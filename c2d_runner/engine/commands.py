"""Library side of `c2d plan`, `c2d verify` and `c2d results`, on a connection opened by `c2d_runner.connect`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from c2d_runner.engine.ports import ComputeClient, Wallet
from c2d_runner.engine.records import JobRecord
from c2d_runner.engine.resolve import ResolvedJob, custom_data_hash
from c2d_runner.engine.results import Downloaded, download_results
from c2d_runner.engine.runner import RunOptions, resolve_all
from c2d_runner.spec.model import PublishedAlgorithm, SpecPlan

if TYPE_CHECKING:  # the connect layer sits above the engine: a type only
    from c2d_runner.connect import Connection


@dataclass(frozen=True)
class PlanReport:
    """What `c2d run` would do, resolved against the target, with nothing started."""

    target: str
    jobs: tuple[dict, ...]
    problems: tuple[str, ...]
    totals: dict | None = None  # on a target with a chain: what the run would spend, per token (wei strings)
    symbols: dict | None = None  # the tokens' ERC20 symbols by address, where they have one


def describe_job(job: ResolvedJob) -> dict:
    """A JSON-ready description of one resolved job: inputs, environment, price, what is sent."""
    algorithm = job.plan.algorithm
    env = job.environment
    if job.node_start is not None:
        return describe_node_job(job)
    return {
        "job": job.plan.name,
        "dataset": {"did": job.dataset.did, "service": job.dataset.service_id,
                    "name": job.dataset.ddo.metadata.get("name", "")},
        "additional_datasets": [{"did": d.did, "service": d.service_id} for d in job.additional],
        "algorithm": ({"did": algorithm.did, "service": job.algorithm.service_id,
                       "name": job.algorithm.ddo.metadata.get("name", "")}
                      if isinstance(algorithm, PublishedAlgorithm) else
                      {"raw": True, "image": f"{algorithm.image}:{algorithm.tag}", "entrypoint": algorithm.entrypoint,
                       "source": str(algorithm.source) if algorithm.source else "inline"}),
        "environment": {"id": env.id, "priceMin": env.price_min, "free": env.is_free,
                        "maxJobDuration": env.max_job_duration},
        "provider": job.provider,
        "timeout": job.plan.timeout,
        "algocustomdata": job.custom_data,
        "algocustomdata_sha256": custom_data_hash(job.plan.algocustomdata),
        "ddo_sha256": dict(job.ddo_hashes),
        "warnings": timeout_warnings(job.plan.timeout, env.get("maxJobDuration")),
    }


def timeout_warnings(timeout: float, max_job_duration) -> list[str]:
    """Why a job may end before its timeout: the environment's maxJobDuration is shorter."""
    from c2d_runner.spec.durations import format_duration

    if not isinstance(max_job_duration, (int, float)) or max_job_duration <= 0 or timeout <= max_job_duration:
        return []
    return [f"the timeout ({format_duration(timeout)}) exceeds the environment's maxJobDuration "
            f"({format_duration(max_job_duration)}): the job is stopped after {format_duration(max_job_duration)}; "
            f"set timeout: {format_duration(max_job_duration)} or choose another environment"]


def describe_node_job(job: ResolvedJob) -> dict:
    """A node job as `c2d plan` shows it: inputs, the environment with its free limits, what is sent."""
    from c2d_runner.engine.noderesolve import describe_node_start

    algorithm = job.plan.algorithm
    return {
        "job": job.plan.name,
        "dataset": _node_input(job.dataset),
        "additional_datasets": [_node_input(d) for d in job.additional],
        "algorithm": ({"did": algorithm.did, "service": job.algorithm.service_id}
                      if isinstance(algorithm, PublishedAlgorithm) else
                      {"raw": True, "image": f"{algorithm.image}:{algorithm.tag}", "entrypoint": algorithm.entrypoint,
                       "checksum": algorithm.checksum or None,
                       "source": str(algorithm.source) if algorithm.source else "inline"}),
        "envs": dict(job.plan.envs or {}),
        "environment": describe_node_start(job.node_start),
        "provider": job.provider,
        "protocol": "ocean-node",
        "timeout": job.plan.timeout,
        "algocustomdata": job.custom_data,
        "algocustomdata_sha256": custom_data_hash(job.plan.algocustomdata),
        "ddo_sha256": dict(job.ddo_hashes),
    }


def _node_input(item) -> dict:
    if item.ddo is None:
        return {"url": item.url}
    return {"did": item.did, "service": item.service_id, "name": item.ddo.metadata.get("name", "")}


def plan_report(jobs: tuple, conn: Connection) -> PlanReport:
    """Resolve every job on the open connection, starting nothing."""
    resolved, problems = resolve_all(jobs, conn.compute, conn.wallet, conn.chain_id, conn.provider)
    described = [describe_job(j) for j in resolved]
    if conn.payer is None:
        from c2d_runner.engine.costs import unpayable

        return PlanReport(conn.description, tuple(described), tuple(problems + unpayable(resolved)))
    from c2d_runner.engine.costs import NATIVE, add_totals, job_costs, shared_costs

    # as initializeCompute prices them, the run's jobs sharing their orders as `c2d run` does by default
    costs = shared_costs(resolved, [job_costs(job, conn.compute, conn.wallet, conn.payer) for job in resolved],
                         RunOptions().jobs)
    for cost, doc in zip(costs, described):
        if cost is not None:
            doc["costs"] = cost
    totals = add_totals([doc["costs"] for doc in described if "costs" in doc])
    return PlanReport(conn.description, tuple(described), tuple(problems), totals,
                      conn.payer.symbols([t for t in totals if t != NATIVE]))


def verify_lock(plan: SpecPlan, lock: dict, conn: Connection) -> tuple[list[str], list[str]]:
    """(differences from the lock, plan problems); both empty means the lock still holds."""
    from c2d_runner.engine.lock import verify_inputs

    resolved, problems = resolve_all(plan.jobs, conn.compute, conn.wallet, conn.chain_id, conn.provider)
    if lock.get("spec_sha256") != plan.sha256:
        problems = problems + ["the spec file changed since the lock was written"]
    return (verify_inputs(lock, resolved) if not problems else []), problems


def job_results(record: JobRecord, compute: ComputeClient, wallet: Wallet, folder: Path) -> Downloaded:
    """Download a recorded job's results into `folder`/outputs and `folder`/logs, as the run does."""
    status = compute.job_status(record.dataset_did, record.provider, record.job_id, wallet)
    return download_results(compute, wallet, record.dataset_did, record.provider, record.job_id, status.results,
                            folder)
