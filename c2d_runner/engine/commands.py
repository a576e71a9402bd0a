"""Library side of `c2d plan`, `c2d verify` and the per-job commands (status, logs, results, stop)."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from c2d_runner.engine.records import JobRecord, find_job
from c2d_runner.engine.resolve import ResolvedJob, custom_data_hash
from c2d_runner.engine.runner import UsageError, connect, resolve_all, select_jobs
from c2d_runner.spec.model import PublishedAlgorithm, SpecPlan, Target


@dataclass(frozen=True)
class PlanReport:
    """What `c2d run` would do, resolved against the target, with nothing started."""

    target: str
    jobs: tuple[dict, ...]
    problems: tuple[str, ...]


def describe_job(job: ResolvedJob) -> dict:
    """A JSON-ready description of one resolved job: inputs, environment, price, what is sent."""
    algorithm = job.plan.algorithm
    env = job.environment
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
                        "maxJobDuration": env.get("maxJobDuration")},
        "provider": job.provider,
        "timeout": job.plan.timeout,
        "algocustomdata": job.custom_data,
        "algocustomdata_sha256": custom_data_hash(job.plan.algocustomdata),
        "ddo_sha256": dict(job.ddo_hashes),
    }


def plan_spec(plan: SpecPlan, target: Target | None = None, only: tuple[str, ...] = ()) -> PlanReport:
    """Resolve every job against the target (the embedded mock runs in a temporary state)."""
    jobs = select_jobs(plan, only, None)
    with connect(plan, target or plan.target, None) as (conn, compute, wallet):
        resolved, problems = resolve_all(jobs, compute, wallet, conn.chain_id)
        return PlanReport(conn.description, tuple(describe_job(j) for j in resolved), tuple(problems))


def verify_spec(plan: SpecPlan, target: Target | None = None) -> tuple[list[str], list[str]]:
    """(differences from the lock, plan problems); both empty means the lock still holds."""
    from c2d_runner.engine.lock import read_lock, verify_inputs

    lock = read_lock(plan.path)
    with connect(plan, target or plan.target, None) as (conn, compute, wallet):
        resolved, problems = resolve_all(plan.jobs, compute, wallet, conn.chain_id)
    if lock.get("spec_sha256") != plan.sha256:
        problems = problems + ["the spec file changed since the lock was written"]
    return (verify_inputs(lock, resolved) if not problems else []), problems


@contextlib.contextmanager
def job_session(job_id: str, runs: Path) -> Iterator[tuple[JobRecord, object, object]]:
    """(record, OceanCompute, wallet) for a job of an earlier run; an embedded mock is restarted
    on that run's saved state, so its jobs still answer."""
    from c2d_runner.engine.target import consumer_wallet, open_target
    from c2d_runner.ocean import OceanCompute

    from c2d_runner.engine.journal import RunFolderBusy, hold_run_folder

    record = find_job(job_id, runs)
    try:  # an embedded mock restarted on a live run's state would fail that run's jobs
        hold = hold_run_folder(record.run_folder) if record.mock_state else contextlib.nullcontext()
    except RunFolderBusy as exc:
        raise UsageError(f"{exc} (its jobs run in that process's embedded mock)") from None
    with hold, open_target(record.target, record.mock_state) as conn:
        provider = conn.provider if conn.embedded_mock else record.provider
        wallet = consumer_wallet(record.consumer, record.target)
        with OceanCompute({"METADATA_CACHE_URI": conn.aquarius, "CHAIN_ID": conn.chain_id}) as compute:
            yield replace(record, provider=provider), compute, wallet
