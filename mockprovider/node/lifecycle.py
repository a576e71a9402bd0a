"""A node job's lifecycle: 10 (start) -> 20 -> 30 -> 40 -> 60 -> 71 with dateFinished -> 70.

The job runner calls `run` on its pool thread for jobs started through the node routes.  The
executor reports 20 / 30 / 40 / 60 as the phases happen; what it returns decides the end: an
algorithm that ran (whatever its exit code, a stop or a timeout: 137) ends at 71 "Job settling" with
terminationDetails, and becomes 70 after the settle delay (read lazily by the routes, see
jobview.settled_status); a provisioning failure (31, 32) or the disk quota (42) stays.
"""
from __future__ import annotations

import pathlib
import threading
import time
from typing import TYPE_CHECKING, Any

from mockprovider import faults as faults_mod
from mockprovider.node.envs import CLUSTER_HASH
from mockprovider.node.js import date_text
from mockprovider.store import Job

if TYPE_CHECKING:
    from mockprovider.jobs import JobRunner

# Allowed moves of a node job (ocean-node processJob); failures end a job with dateFinished set.
TRANSITIONS: dict[int, frozenset[int]] = {
    10: frozenset({20, 30, 31, 32}),
    20: frozenset({30, 31, 32}),
    30: frozenset({40, 60, 31, 32}),
    40: frozenset({60}),
    60: frozenset(),
}
RAN, SETTLING = 70, 71
FAILURES = frozenset({31, 32, 42})
GIB = 2**30


def can_move(current: int, new: int) -> bool:
    """True when a node job may go from `current` to `new`."""
    return new in TRANSITIONS.get(current, frozenset())


def final_status(executor_status: int) -> int:
    """The status a run ends at: 71 when the algorithm ran, the failure otherwise (unknown: 32)."""
    if executor_status == RAN:
        return SETTLING
    return executor_status if executor_status in FAILURES else 32


def interrupted_status(status: int) -> int:
    """The honest end of a job a previous mock process left running (a 71 has ended already): one
    that never ran its algorithm failed provisioning (31); one that was running failed to run (41)."""
    return 31 if status < 40 else 41


def build_request(runner: "JobRunner", job: Job) -> Any:
    """The executor request of a node job (v2 layout), or a reason string when the world changed."""
    from mockprovider import executor as ex

    spec = job.request
    datasets = []
    for d in spec["datasets"]:
        if d.get("did"):
            asset = runner.world.by_did(d["did"])
            if asset is None:
                return f"dataset {d['did']} is not in this world any more"
            datasets.append(ex.InputDataset(asset.did, asset.files, runner.ddo_of(asset.did),
                                            userdata=d.get("userdata")))
        else:  # the node adds userdata to DDO files only, not to a plain URL fileObject
            url = ex.UrlFile(d["url"], d.get("method") or "get", dict(d.get("headers") or {}))
            datasets.append(ex.InputDataset(None, (url,), None))
    algo = spec["algorithm"]
    container = algo["container"]
    if algo.get("did") and algo.get("rawcode") is None:
        asset = runner.world.by_did(algo["did"])
        if asset is None:
            return f"algorithm {algo['did']} is not in this world any more"
        files = asset.file_bytes()[:1]
    else:
        files = ((algo.get("rawcode") or "").encode("utf-8"),)
    commands = runner.world.command_map(container["image"], container.get("tag", "")) or {}
    amounts = {r["id"]: r["amount"] for r in spec.get("resources", [])}

    def gib(rid: str) -> int | None:
        try:
            value = float(amounts.get(rid) or 0)
        except (TypeError, ValueError):
            return None
        return int(value * GIB) if value > 0 else None

    return ex.ExecutionRequest(
        job_id=f"{CLUSTER_HASH}/{job.job_id}",  # only printed, as the node's c2d_storage path
        job_dir=runner.job_dir(job.job_id),
        inputs=tuple(datasets),
        algorithm=ex.Algorithm(algo.get("did"), files, None, container["entrypoint"], commands),
        algocustomdata=spec.get("algocustomdata"),
        max_duration=float(spec["maxJobDuration"]),
        allow_network=False,
        layout=ex.LAYOUT_V2,
        envs=dict(algo.get("envs") or {}),
        resources=ex.Resources(ram_bytes=gib("ram"), cpus=float(amounts.get("cpu") or 1), disk_bytes=gib("disk")),
        image=f"{container['image']}:{container.get('tag') or 'latest'}",
    )


def run(runner: "JobRunner", job: Job, stop: threading.Event) -> None:
    """Run one node job to its end (71, or a failure status), recording every step."""
    fault = faults_mod.job_fault(runner.profile, runner.seed, job.ordinal)
    if fault.hold_status is not None:
        stop.wait(fault.hold_seconds)
    if fault.fail_status is not None:
        fail(runner, job, fault.fail_status, f"fault profile {runner.profile.name!r}: provisioning made to fail")
        return
    if stop.is_set() and runner.closing:
        return  # shutting down before the job began: a restart will mark it honestly
    request = build_request(runner, job)
    if isinstance(request, str):
        fail(runner, job, 31, request)
        return
    runner.set_live_log(job.job_id, _live_log_path(request))
    current = [job.status]
    times: dict[str, str] = {}

    def on_status(status: int) -> None:
        if can_move(current[0], status):
            current[0] = status
            if status == 40:
                times["algoStartTimestamp"] = date_text(time.time())
            if status == 60 and "algoStartTimestamp" in times:
                times["algoStopTimestamp"] = date_text(time.time())
            runner.store.set_status(job.job_id, status)

    try:
        result = runner.executor.run(request, on_status=on_status, stop=stop)
    finally:
        runner.set_live_log(job.job_id, None)
    if runner.closing and not runner.store.job(job.job_id).stopreq:
        # Killed because the mock itself stopped, not by its consumer: say so, not "finished".
        fail(runner, job, interrupted_status(current[0]), "the mock Ocean Node stopped while this job ran; "
                                                          "it did not complete")
        return
    final = final_status(result.status)
    if final == SETTLING and current[0] != 60:
        on_status(60)
    runner.store.update_details(job.job_id, exitCode=getattr(result, "exit_code", None),
                                OOMKilled=getattr(result, "oom_killed", None), **times)
    runner.store.finish(job.job_id, final, _published(runner, job, result.results), date_text(time.time()), result.stopreq)


def _live_log_path(request: Any) -> pathlib.Path | None:
    from mockprovider import executor as ex

    path_of = getattr(ex, "algorithm_log_path", None)
    return pathlib.Path(path_of(request)) if path_of is not None else None


def _published(runner: "JobRunner", job: Job, files: Any) -> list[dict[str, Any]]:
    """The executor's result files, with paths relative to the job folder (others are refused)."""
    out = []
    job_dir = runner.job_dir(job.job_id).resolve()
    for r in files:
        try:
            rel = pathlib.Path(r.path).resolve().relative_to(job_dir)
        except ValueError:  # defence in depth: the executor promises paths inside job_dir
            runner.errors.append(f"job {job.job_id}: result outside the job folder refused: {r.filename}")
            continue
        out.append({"filename": r.filename, "filesize": int(r.filesize), "type": r.type, "path": str(rel)})
    return out


def live_files(job_dir: pathlib.Path, status: int) -> list[dict[str, Any]]:
    """The result files of a job still running, with host paths (what exists now: a running job has
    only image.log and configuration.log, as on the node)."""
    from mockprovider.executor import v2_result_files

    return [{"filename": r.filename, "filesize": int(r.filesize), "type": r.type, "path": str(r.path)}
            for r in v2_result_files(pathlib.Path(job_dir))]


def fail(runner: "JobRunner", job: Job, status: int, reason: str) -> None:
    """End a node job at a failure status, its reason appended to configuration.log."""
    current = runner.store.job(job.job_id)
    if current is not None and current.finished:
        return
    from mockprovider import node_runtime as nr

    job_dir = runner.job_dir(job.job_id).absolute()
    log = nr.NodePaths(job_dir).result(nr.CONFIGURATION_LOG)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{reason}\n")
    files = [dict(f, path=str(pathlib.Path(f["path"]).relative_to(job_dir))) for f in live_files(job_dir, status)]
    runner.store.finish(job.job_id, status, files, date_text(time.time()))


def recover(runner: "JobRunner", job: Job) -> None:
    """Close a node job a previous mock process left running (see interrupted_status)."""
    fail(runner, job, interrupted_status(job.status), f"the mock Ocean Node restarted while this job was at status {job.status}; "
                             f"it did not complete")
