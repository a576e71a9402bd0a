"""c2d_runner.atomic: the one way the runner writes files (reports, run records, lock files, results)."""
from __future__ import annotations

import json
import os

import pytest

from c2d_runner.atomic import atomic_file, remove_stale_temps, temp_sibling, write_json, write_text


def test_write_text_creates_folders_and_leaves_only_the_file(tmp_path):
    target = tmp_path / "a" / "b" / "report.txt"
    assert write_text(target, "one\ntwo\n") == target
    assert target.read_bytes() == b"one\ntwo\n"
    assert os.listdir(target.parent) == ["report.txt"]


def test_write_json_is_sorted_and_indented(tmp_path):
    target = write_json(tmp_path / "run.json", {"b": 1, "a": [tmp_path]})
    assert target.read_text(encoding="utf-8") == json.dumps({"a": [str(tmp_path)], "b": 1}, indent=2) + "\n"


def test_a_failed_block_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    target = tmp_path / "result.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="connection lost"):
        with atomic_file(target) as out:
            out.write(b"half of the new")
            raise RuntimeError("connection lost")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["result.bin"]


def test_the_file_mode_follows_the_umask_not_mkstemp(tmp_path):
    old = os.umask(0o022)
    try:
        target = write_text(tmp_path / "junit.xml", "<x/>")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_name_of_255_bytes_still_gets_a_temporary_sibling(tmp_path):
    # NAME_MAX is 255 bytes: a temporary name built from the target's name would not fit.
    name = "r" * 250 + ".json"
    assert len(temp_sibling(tmp_path / name).name.encode()) < 32
    with atomic_file(tmp_path / name) as out:
        out.write(b"{}")
    assert os.listdir(tmp_path) == [name]


def test_stale_temporary_files_are_removed_and_nothing_else(tmp_path):
    job = tmp_path / "job" / "outputs"
    job.mkdir(parents=True)
    stale = job / temp_sibling(job / "result.csv").name
    stale.write_bytes(b"half a download")
    keep = [job / "result.csv", job / ".c2d-notatemp.tmp", tmp_path / "journal.jsonl"]
    for path in keep:
        path.write_text("x")
    assert remove_stale_temps(tmp_path) == [stale]
    assert not stale.exists() and all(path.exists() for path in keep)
