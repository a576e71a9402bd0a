"""Fetch a job's results into its folder: outputs to `outputs/`, every log to `logs/`.

One function for the runner (after a job ends) and `c2d results` (later, from the run record).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from c2d_runner import exitcodes
from c2d_runner.engine.outcome import ResultRecord
from c2d_runner.engine.unpack import unpack_output_archive
from c2d_runner.ocean.records import OutputsArchive
from c2d_runner.errors import C2DError, JobFailure

if TYPE_CHECKING:
    from c2d_runner.engine.ports import ComputeClient
    from c2d_runner.ocean.records import JobResult, ResultFile


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


def download_results(
    compute: "ComputeClient", wallet: Any, ddo: Any, service: Any, job_id: str, listing: Sequence["JobResult"],
    folder: Path, on_result: Callable[[ResultRecord, "ResultFile"], None] | None = None,
) -> Downloaded:
    """Stream every result of the listing into `folder`/outputs or `folder`/logs; failures are
    collected, not raised (Interrupted is)."""
    from c2d_runner.ocean.errors import OceanError

    records, problems = [], []
    unreachable = False
    taken: set[Path] = set()
    for item in listing:
        dest = folder / ("outputs" if item.type == "output" else "logs")
        dest.mkdir(parents=True, exist_ok=True)
        name, target = result_target(dest, item, taken)
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
