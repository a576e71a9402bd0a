"""An Ocean Node's outputs.tar in a job folder: kept beside outputs/, unpacked into it, one record
per file, named by its path inside outputs/ (what output expectations name)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from c2d_runner.engine.outcome import ResultRecord


def unpack_output_archive(folder: Path, record: ResultRecord) -> list[ResultRecord]:
    """Move the downloaded tar to `folder`/<name>, unpack it into `folder`/outputs; the files' records.

    Raises UnsafeArchive (a ValueError) for a tar that must not be unpacked; the tar is kept.
    """
    from c2d_runner.ocean.node.outputs import unpack_outputs

    tar = folder / Path(record.path).name
    if Path(record.path) != tar:
        os.replace(record.path, tar)
    records = []
    for item in unpack_outputs(tar, folder / "outputs"):
        path = folder / "outputs" / item.path
        records.append(ResultRecord(record.index, item.path, "output", path, item.size, _sha256(path)))
    return records


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
