"""Fetch a job's results into its folder: outputs to `outputs/`, logs to `logs/`.

One function for the runner (after a job ends) and `c2d results` (later, from the run record), and
the rule for which results a run fetches at once (split_results).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from c2d_runner import exitcodes
from c2d_runner.engine.outcome import ResultRecord
from c2d_runner.engine.unpack import unpack_output_archive
from c2d_runner.ocean.records import OutputsArchive, ResultFile
from c2d_runner.errors import C2DError, JobFailure

# The logs of the machinery around the algorithm, not of the algorithm: image pull, provisioning
# (the Provider's spelling [sic] and the corrected one), filtering, publishing.
PROVISIONING_LOGS = ("configrationLog", "configurationLog")
INFRASTRUCTURE_LOGS = frozenset({*PROVISIONING_LOGS, "imageLog", "filteringLog", "publishLog"})
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

if TYPE_CHECKING:
    from c2d_runner.engine.ports import ComputeClient
    from c2d_runner.ocean.records import JobResult


@dataclass(frozen=True)
class Downloaded:
    """What a download of a job's results gave: the files, and why others are missing."""

    records: tuple[ResultRecord, ...]
    problems: tuple[str, ...] = ()
    unreachable: bool = False  # a download failed for want of an answer (not a refusal)


class ResultsIncomplete(JobFailure):
    """Some results of a job could not be downloaded (exit 3 when it was for want of an answer)."""

    def __init__(self, downloaded: Downloaded) -> None:
        super().__init__("; ".join(downloaded.problems))
        if downloaded.unreachable:
            self.exit_code = exitcodes.INFRASTRUCTURE


def result_target(folder: Path, item: "JobResult", taken: set[Path]) -> tuple[str, Path]:
    """(name, path) for a result in `folder`: named from the provider's results listing (a header
    may mangle ';' or quotes), made safe, and never over another result of the same job."""
    from c2d_runner.ocean.messages import clean_filename

    name = clean_filename(item.filename, f"result-{item.index}")
    target = folder / name if folder / name not in taken else folder / f"{item.index}-{name}"
    taken.add(target)
    return name, target


def split_results(listing: Sequence["JobResult"], *, succeeded: bool, exit_code_reported: bool,
                  every: bool = False) -> tuple[tuple["JobResult", ...], tuple["JobResult", ...]]:
    """(the results to fetch now, those to leave on the provider if the job passes).

    A job that works needs its outputs and its algorithm's log; the infrastructure's logs say why a
    job did not work, so they wait for the verdict (`c2d results` fetches them later) - except the
    provisioning log while the status reports no exit code, as the mock's Provider writes the exit
    code there.  A job the provider did not see succeed, or `every`, gets every result at once.
    """
    if every or not succeeded:
        return tuple(listing), ()
    kept = PROVISIONING_LOGS if not exit_code_reported else ()
    left = tuple(r for r in listing if r.type in INFRASTRUCTURE_LOGS and r.type not in kept)
    return tuple(r for r in listing if r not in left), left


def download_results(
    compute: "ComputeClient", wallet: Any, ddo: Any, service: Any, job_id: str, listing: Sequence["JobResult"],
    folder: Path, on_result: Callable[[ResultRecord, "ResultFile"], None] | None = None,
    taken: set[Path] | None = None,
) -> Downloaded:
    """Stream every result of the listing into `folder`/outputs or `folder`/logs; failures are
    collected, not raised (Interrupted is).

    A log the listing says is empty is written empty without a request: there is nothing to fetch.
    """
    from c2d_runner.ocean.errors import OceanError

    records, problems = [], []
    unreachable = False
    taken = set() if taken is None else taken  # paths already given to this job's results
    for item in listing:
        dest = folder / ("outputs" if item.type == "output" else "logs")
        dest.mkdir(parents=True, exist_ok=True)
        name, target = result_target(dest, item, taken)
        if item.size == 0 and item.type != "output":  # an output may be an archive to unpack: always fetched
            target.write_bytes(b"")
            record = ResultRecord(item.index, name, item.type, target, 0, EMPTY_SHA256)
            if on_result is not None:
                on_result(record, ResultFile(name, 0, EMPTY_SHA256))
            records.append(record)
            continue
        try:
            got = compute.download_result(ddo, service, job_id, item.index, wallet, target)
        except OceanError as exc:
            problems.append(f"result {item.index} ({item.filename}) could not be downloaded: {exc}")
            unreachable = unreachable or is_unreachable(exc)
            continue
        record = ResultRecord(item.index, name, item.type, target, got.size, got.sha256)
        if on_result is not None:
            on_result(record, got)
        if isinstance(got, OutputsArchive):  # an Ocean Node's outputs.tar: kept beside outputs/, unpacked into it
            try:
                records += unpack_output_archive(folder, record)
            except ValueError as exc:
                problems.append(str(exc))
            continue
        records.append(record)
    return Downloaded(tuple(records), tuple(problems), unreachable)


def is_unreachable(exc: Exception) -> bool:
    """True for an infrastructure error (no answer, a 5xx, not Ocean), rather than a refusal."""
    return isinstance(exc, C2DError) and exc.exit_code == exitcodes.INFRASTRUCTURE
