"""A stored job as the node shows it: the job object, its results by existence, its live status.

Pure functions of a stored Job (plus the listing of its files); the handlers choose when to call them.
"""
from __future__ import annotations

import hashlib
import pathlib
import time
from typing import Any, Callable, Iterable

from mockprovider.node.envs import CLUSTER_HASH
from mockprovider.store import Job

# ocean-node C2DStatusText, verbatim (note the trailing space of 40).
STATUS_TEXT = {
    0: "Job started", 1: "Job queued", 2: "Job expired in queue",
    10: "Pulling algorithm image", 11: "Pulling algorithm image failed",
    12: "Building algorithm image", 13: "Building algorithm image failed", 14: "Image has vulnerabilities",
    20: "Configuring volumes", 21: "Volume creation failed", 22: "Container creation failed",
    30: "Provisioning data", 31: "Data provisioning failed", 32: "Algorithm provisioning failed",
    33: "Data upload to container failed",
    40: "Running algorithm ", 41: "Failed to run algorithm", 42: "Error: disk quota exceeded",
    50: "Filtering results", 60: "Publishing results", 61: "Failed to get outputs folder from container",
    62: "Failed to upload results to storage", 70: "Job finished", 71: "Job settling",
}
# The node's result order: files are listed when they exist, `index` counts the listed ones.
RESULT_ORDER = ("imageLog", "configurationLog", "algorithmLog", "output", "publishLog")
SETTLING, FINISHED = 71, 70


def prefixed(raw_id: str) -> str:
    """The job id a start answers with: `<clusterHash>-<raw id>`."""
    return f"{CLUSTER_HASH}-{raw_id}"


def job_id_hash(raw_id: str) -> str:
    """jobIdHash: "0x" + sha256 of the raw job id."""
    return "0x" + hashlib.sha256(raw_id.encode("utf-8")).hexdigest()


def past_settle_delay(job: Job, settle_seconds: float, now: float | None = None) -> bool:
    """True once a finished job has waited the settle delay (the node's claim cron, made short)."""
    return job.date_finished is not None and \
        (time.time() if now is None else now) >= float(job.date_finished) + settle_seconds


def settled_status(job: Job, settle_seconds: float, now: float | None = None) -> int:
    """71 becomes 70 once the settle delay has passed (the node's claim cron, made short)."""
    if job.status == SETTLING and past_settle_delay(job, settle_seconds, now):
        return FINISHED
    return job.status


def result_entries(files: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """{filename, filesize, type, index} in the node's order, numbered over the files present."""
    ordered = sorted(files, key=lambda f: RESULT_ORDER.index(f["type"]) if f["type"] in RESULT_ORDER else 99)
    return [{"filename": f["filename"], "filesize": f["filesize"], "type": f["type"], "index": i}
            for i, f in enumerate(ordered)]


def _common(job: Job, payment_last: bool) -> dict[str, Any]:
    """The fields both answers share; the status answer (read back from the node's database) moves
    `payment` after terminationDetails."""
    req, det = job.request, job.details
    # A paid job's {chainId, token, lockTx, claimTx, cancelTx, cost}, as settled when it has been.
    payment = det.get("payment") or req.get("payment")
    doc = {
        "stopRequested": bool(job.stopreq),
        "resources": req.get("resources", []),
        "isFree": req.get("isFree", True),
        "algoStartTimestamp": det.get("algoStartTimestamp", "0"),
        "algoStopTimestamp": det.get("algoStopTimestamp", "0"),
        "payment": payment,
        "metadata": req.get("metadata"),
        "additionalViewers": req.get("additionalViewers"),
        "terminationDetails": {"exitCode": det.get("exitCode"), "OOMKilled": det.get("OOMKilled")},
    }
    if payment_last:
        doc["payment"] = doc.pop("payment")
    doc.update({"algoDuration": 0, "queueMaxWaitTime": 0})
    return doc


def start_document(job: Job) -> dict[str, Any]:
    """The one job of a start answer: prefixed jobId, status 10, no results yet."""
    doc = {
        "owner": job.owner, "jobId": prefixed(job.job_id), "jobIdHash": job_id_hash(job.job_id),
        "dateCreated": job.date_created, "dateFinished": job.date_finished,
        "status": job.status, "statusText": STATUS_TEXT.get(job.status, ""), "results": [],
        "maxJobDuration": job.request.get("maxJobDuration"), "environment": job.request.get("environment"),
    }
    doc.update(_common(job, payment_last=False))
    doc.update({"buildStartTimestamp": "0", "buildStopTimestamp": "0"})
    return doc


def status_document(job: Job, status: int, results: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A job of the status (results listed) or stop (results null) answer: the RAW job id."""
    doc = {
        "owner": job.owner, "did": None, "jobId": job.job_id,
        "dateCreated": job.date_created, "dateFinished": job.date_finished,
        "status": status, "statusText": STATUS_TEXT.get(status, ""), "results": results,
        "inputDID": None, "algoDID": None, "agreementId": None,
        "environment": job.request.get("environment"),
    }
    doc.update(_common(job, payment_last=True))
    doc.update({"jobIdHash": job_id_hash(job.job_id), "buildStartTimestamp": "0", "buildStopTimestamp": "0",
                "maxJobDuration": job.request.get("maxJobDuration")})
    return doc


def existing_files(job: Job, job_dir: pathlib.Path,
                   live_listing: Callable[[pathlib.Path, int], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The job's result files with their host paths: published ones, else what exists while it runs."""
    if job.results is not None:
        return [dict(r, path=str(job_dir / r["path"])) for r in job.results]
    return live_listing(job_dir, job.status)
