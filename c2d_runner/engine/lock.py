"""The lock file: what a run resolved and produced, so a later run or `c2d verify` can compare.

Written next to the spec as `<spec>.lock.json`, like DVC's dvc.lock: resolved DDO hashes,
algorithm checksums, environment, custom data hash and output hashes per job.
"""
from __future__ import annotations

import json
from pathlib import Path

from c2d_runner.atomic import write_json
from c2d_runner.engine.outcome import ExpectationResult, JobOutcome
from c2d_runner.engine.resolve import ResolvedJob, custom_data_hash
from c2d_runner.errors import InvalidInput
from c2d_runner.spec.model import RawAlgorithm, SpecPlan
from c2d_runner.wire import files_checksum

LOCK_VERSION = 1


def lock_path(spec_path: Path) -> Path:
    """hello.yaml -> hello.lock.json, next to the spec."""
    return Path(spec_path).with_name(Path(spec_path).stem + ".lock.json")


def inputs_entry(job: ResolvedJob) -> dict:
    """Everything about a job's inputs that decides its outputs."""
    algorithm = job.plan.algorithm
    if isinstance(algorithm, RawAlgorithm):
        algo = {"raw": True, "filesChecksum": files_checksum([algorithm.code.encode("utf-8")])}
    else:
        algo = {"did": algorithm.did, "ddo_sha256": job.ddo_hashes.get(algorithm.did)}
    algo["containerSectionChecksum"] = job.container_section_checksum
    return {
        "dataset": {"did": job.dataset.did, "service": job.dataset.service_id,
                    "ddo_sha256": job.ddo_hashes[job.dataset.did]},
        "additional_datasets": [{"did": d.did, "service": d.service_id, "ddo_sha256": job.ddo_hashes[d.did]}
                                for d in job.additional],
        "algorithm": algo,
        "environment": job.environment.id,
        "algocustomdata_sha256": custom_data_hash(job.plan.algocustomdata),
    }


def outputs_entry(outcome: JobOutcome) -> dict:
    """name -> {sha256, size} of the job's outputs (logs are not reproducible: timestamps)."""
    return {r.filename: {"sha256": r.sha256, "size": r.size} for r in outcome.results if r.type == "output"}


def build_lock(plan: SpecPlan, resolved: list[ResolvedJob], outcomes: dict[str, JobOutcome]) -> dict:
    """The lock document for a run."""
    return {
        "version": LOCK_VERSION,
        "spec": plan.name,
        "spec_sha256": plan.sha256,
        "jobs": {job.plan.name: {**inputs_entry(job), "outputs": outputs_entry(outcomes[job.plan.name])}
                 for job in resolved if job.plan.name in outcomes},
    }


def write_lock(plan: SpecPlan, resolved: list[ResolvedJob], outcomes: dict[str, JobOutcome]) -> Path:
    """Write the lock next to the spec; returns its path.

    Jobs this run did not run (--only) keep their entries from the existing lock, if it is for
    the same spec file.
    """
    path = lock_path(plan.path)
    lock = build_lock(plan, resolved, outcomes)
    try:
        old = read_lock(plan.path)
    except LockUnreadable:
        old = None
    if old and old.get("spec_sha256") == plan.sha256:
        known = {job.name for job in plan.jobs}
        lock["jobs"] = {**{k: v for k, v in old["jobs"].items() if k in known}, **lock["jobs"]}
    write_json(path, lock)
    return path


class LockUnreadable(InvalidInput):
    """A spec's lock file is missing, unreadable, not JSON, or not a c2d-runner lock."""


def read_lock(spec_path: Path) -> dict:
    """The lock of a spec; LockUnreadable when there is none or it cannot be read."""
    path = lock_path(spec_path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise LockUnreadable(f"no lock file {path}; write one with `c2d run --lock {spec_path}`") from None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
        raise LockUnreadable(f"cannot read the lock file {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != LOCK_VERSION or not isinstance(data.get("jobs"), dict):
        raise LockUnreadable(f"cannot read the lock file {path}: not a c2d-runner lock file (version {LOCK_VERSION})")
    return data


def _diff(prefix: str, locked, current) -> list[str]:
    if isinstance(locked, dict) and isinstance(current, dict):
        out = []
        for key in sorted(set(locked) | set(current)):
            out += _diff(f"{prefix}.{key}", locked.get(key), current.get(key))
        return out
    if locked != current:
        return [f"{prefix}: locked {json.dumps(locked)}, now {json.dumps(current)}"]
    return []


def verify_inputs(lock: dict, resolved: list[ResolvedJob]) -> list[str]:
    """Differences between the lock and what the jobs resolve to now (outputs are not compared)."""
    out = []
    current = {job.plan.name: job for job in resolved}
    for name in sorted(set(lock["jobs"]) | set(current)):
        if name not in current:
            out.append(f"{name}: in the lock but no longer in the spec")
        elif name not in lock["jobs"]:
            out.append(f"{name}: in the spec but not in the lock")
        else:
            locked = {k: v for k, v in lock["jobs"][name].items() if k != "outputs"}
            out += _diff(name, locked, inputs_entry(current[name]))
    return out


def check_outputs(lock: dict, outcome: JobOutcome) -> list[ExpectationResult]:
    """One expectation per locked output: same sha256 as in the lock."""
    locked = lock["jobs"].get(outcome.name, {}).get("outputs", {})
    now = outputs_entry(outcome)
    results = []
    for name in sorted(set(locked) | set(now)):
        want, got = locked.get(name), now.get(name)
        results.append(ExpectationResult(f"lock.outputs[{name}]", want is not None and got is not None
                                         and want["sha256"] == got["sha256"],
                                         want["sha256"] if want else "absent (not in the lock)",
                                         got["sha256"] if got else "absent"))
    return results
