"""Result choice by type, Docker log demultiplexing, and safe outputs.tar unpacking."""
from __future__ import annotations

import io
import os
import struct
import tarfile

import pytest

from c2d_runner.ocean.node.outputs import UnsafeArchive, member_path, unpack_outputs
from c2d_runner.ocean.node.results import LogDemuxer, demux_log, parse_results, pick_result

FINISHED = [
    {"filename": "image.log", "filesize": 190, "type": "imageLog", "index": 0},
    {"filename": "configuration.log", "filesize": 420, "type": "configurationLog", "index": 1},
    {"filename": "algorithm.log", "filesize": 10777, "type": "algorithmLog", "index": 2},
    {"filename": "outputs.tar", "filesize": 4096, "type": "output", "index": 3},
]


def frame(stream: int, text: str) -> bytes:
    data = text.encode()
    return struct.pack(">BxxxI", stream, len(data)) + data


def test_results_are_picked_by_type_never_by_position():
    results = parse_results(FINISHED)
    assert pick_result(results, "output").index == 3 and pick_result(results, "algorithmLog").filename == "algorithm.log"
    # a failed (31) job lists no outputs.tar; while running only two logs
    assert pick_result(parse_results(FINISHED[:3]), "output") is None
    assert [r.index for r in parse_results(FINISHED[:2])] == [0, 1]
    assert parse_results(None) == () and parse_results([{"type": "output"}])[0].index == 0


def test_demux_the_reference_exit_3_job():
    data = frame(1, "to stdout\n") + frame(2, "to stderr\n")
    assert data[:8] == bytes.fromhex("010000000000000a")
    assert demux_log(data) == "to stdout\nto stderr\n"
    assert demux_log(data, mark_stderr=True) == "to stdout\n[stderr] to stderr\n"


def test_demux_plain_text_and_empty_pass_through():
    assert demux_log(b"") == ""
    assert demux_log(b"hello\nworld\n") == "hello\nworld\n"
    assert demux_log(b"hi") == "hi"  # shorter than a header


def test_demux_incremental_across_arbitrary_chunks():
    data = b"".join(frame(1 + i % 2, f"line {i}\n") for i in range(50))
    demuxer = LogDemuxer()
    frames = []
    for start in range(0, len(data), 7):
        frames += demuxer.feed(data[start:start + 7])
    frames += demuxer.close()
    assert len(frames) == 50 and b"".join(p for _, p in frames).decode() == "".join(f"line {i}\n" for i in range(50))


def test_demux_truncated_last_frame_keeps_what_came():
    data = frame(1, "complete\n") + frame(1, "cut short\n")[:-4]
    assert demux_log(data) == "complete\ncut sh"


def test_demux_invalid_utf8_is_replaced():
    assert demux_log(struct.pack(">BxxxI", 1, 2) + b"\xff\n") == "\ufffd\n"


def make_tar(path, entries):
    """entries: (name, kind, data) with kind file|dir|sym|lnk|fifo|chr."""
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.uid = info.gid = 1000
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o777
                tar.addfile(info)
            elif kind == "file":
                info.size, info.mode = len(data), 0o4755 if data == b"#!x" else 0o644
                tar.addfile(info, io.BytesIO(data))
            else:
                info.type = {"sym": tarfile.SYMTYPE, "lnk": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE,
                             "chr": tarfile.CHRTYPE}[kind]
                info.linkname = data.decode() if data else ""
                tar.addfile(info)
    return path


REFERENCE = [("outputs", "dir", b""), ("outputs/result.json", "file", b'{"rows": 3}'),
             ("outputs/sub", "dir", b""), ("outputs/sub/nested.txt", "file", b"nested\n")]


def test_unpack_the_reference_layout(tmp_path):
    tar = make_tar(tmp_path / "outputs.tar", REFERENCE)
    files = unpack_outputs(tar, tmp_path / "job" / "outputs")
    assert [(f.path, f.size) for f in files] == [("result.json", 11), ("sub/nested.txt", 7)]
    assert (tmp_path / "job/outputs/sub/nested.txt").read_text() == "nested\n"
    assert tar.exists()  # the tar stays beside the unpacked files


def test_unpack_replaces_an_earlier_unpack_and_drops_set_id_bits(tmp_path):
    dest = tmp_path / "outputs"
    (dest / "stale").mkdir(parents=True)
    unpack_outputs(make_tar(tmp_path / "o.tar", [("outputs/run.sh", "file", b"#!x")]), dest)
    assert sorted(os.listdir(dest)) == ["run.sh"]
    assert (dest / "run.sh").stat().st_mode & 0o7777 == 0o755


@pytest.mark.parametrize("entries, message", [
    ([("/etc/passwd", "file", b"x")], "absolute path"),
    ([("outputs/../../evil", "file", b"x")], "climbs out"),
    ([("outputs/link", "sym", b"/etc/passwd")], "is a link"),
    ([("outputs/hard", "lnk", b"outputs/a")], "is a link"),
    ([("outputs/dev", "chr", b"")], "device or FIFO"),
    ([("outputs/fifo", "fifo", b"")], "device or FIFO"),
])
def test_unsafe_members_are_refused_and_nothing_is_written(tmp_path, entries, message):
    tar = make_tar(tmp_path / "o.tar", [("outputs/ok.txt", "file", b"ok")] + entries)
    with pytest.raises(UnsafeArchive, match=message):
        unpack_outputs(tar, tmp_path / "outputs")
    assert not (tmp_path / "outputs").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["o.tar"]  # no staging folder left


def test_caps(tmp_path):
    tar = make_tar(tmp_path / "o.tar", [(f"outputs/f{i}", "file", b"12345") for i in range(3)])
    with pytest.raises(UnsafeArchive, match="more than 2 files"):
        unpack_outputs(tar, tmp_path / "a", max_files=2)
    with pytest.raises(UnsafeArchive, match="more than 12 bytes"):
        unpack_outputs(tar, tmp_path / "b", max_total=12)


def test_broken_tar(tmp_path):
    (tmp_path / "o.tar").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(UnsafeArchive, match="cannot be read"):
        unpack_outputs(tmp_path / "o.tar", tmp_path / "outputs")


def test_member_paths():
    assert member_path("outputs") is None and member_path("outputs/") is None
    assert member_path("outputs/a/b.txt") == "a/b.txt" and member_path("./outputs/x") == "x"
    assert member_path("other.txt") == "other.txt"
    with pytest.raises(UnsafeArchive):
        member_path("C:/x")
