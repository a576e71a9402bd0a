"""Pure pieces of the v2 runtime: log framing, JS formatting, URL names, limits reports, disk polling."""
from __future__ import annotations

import pytest

from mockprovider import dockerlog
from mockprovider import limits as job_limits
from mockprovider.jsvalues import js_number, js_string, js_stringify
from mockprovider.node_runtime import disk_watch, job_env, tree_bytes
from mockprovider.urlfetch import url_file_name, with_userdata


def test_frame_matches_dockers_header():
    assert dockerlog.frame(1, b"to stdout\n") == b"\x01\x00\x00\x00\x00\x00\x00\x0ato stdout\n"
    assert dockerlog.frame(2, b"") == b"\x02\x00\x00\x00\x00\x00\x00\x00"


def test_demux_round_trip_and_torn_frames():
    blob = dockerlog.frame(1, b"a") + dockerlog.frame(2, b"bc") + dockerlog.frame(1, b"d")
    assert dockerlog.demux(blob) == [(1, b"a"), (2, b"bc"), (1, b"d")]
    assert dockerlog.text_of(blob, 1) == b"ad" and dockerlog.text_of(blob) == b"abcd"
    with pytest.raises(ValueError, match="torn"):
        dockerlog.demux(blob[:-1])
    with pytest.raises(ValueError, match="torn frame header"):
        dockerlog.demux(blob + b"\x01\x00")
    with pytest.raises(ValueError):
        dockerlog.frame(3, b"x")


@pytest.mark.parametrize("value, text", [
    (1.0, "1"), (0.1, "0.1"), (1e-5, "0.00001"), (1e-6, "0.000001"), (1e-7, "1e-7"), (1e20, "100000000000000000000"),
    (1e21, "1e+21"), (-2.5e-9, "-2.5e-9"), (123.456, "123.456"), (12345678901234567890, "12345678901234567000"),
    (0, "0"), (-0.0, "0"), (float("inf"), "Infinity"), (float("nan"), "NaN"), (42, "42"),
])
def test_js_number(value, text):
    assert js_number(value) == text


def test_js_stringify_is_compact_and_keeps_unicode():
    value = {"greeting": "hello", "n": 42, "f": 2.0, "u": "héllo\n\"", "l": [1, None, True], "e": {}}
    assert js_stringify(value) == '{"greeting":"hello","n":42,"f":2,"u":"héllo\\n\\"","l":[1,null,true],"e":{}}'
    assert js_stringify(float("nan")) == "null"


def test_js_string():
    assert [js_string(v) for v in (None, True, 1.0, [1, None, "a"], {"a": 1}, "x")] == [
        "null", "true", "1", "1,,a", "[object Object]", "x"]


@pytest.mark.parametrize("url, name", [
    ("http://h/data.csv", "data.csv"), ("http://h/a/b/data.csv?x=1#f", "data.csv"),
    ("http://h/with%20space.csv", "with space.csv"), ("http://h/", None), ("http://h", None),
    ("http://h/a/..", None), ("http://h/%2e%2e", None), ("http://h/a%2Fb", None),
])
def test_url_file_name(url, name):
    assert url_file_name(url) == name


def test_userdata_is_appended_as_url_search_params():
    assert with_userdata("http://h/d.csv", None) == "http://h/d.csv"
    assert with_userdata("http://h/d.csv?a=1", {"b": "x y", "c": 2.0, "d": [1, 2], "e": None}) == \
        "http://h/d.csv?a=1&b=x+y&c=2&d=1%2C2&e=null"
    assert with_userdata("http://h/d.csv", '{"k": "v"}') == "http://h/d.csv?k=v"


def test_job_env_is_the_containers_and_envs_win():
    env = job_env({"MY": "v", "PATH": "/custom"}, "0123456789ab")
    assert env == {"PATH": "/custom", "HOSTNAME": "0123456789ab", "HOME": "/", "MY": "v"}


def test_disk_watch_polls_at_its_interval(tmp_path):
    now = [0.0]
    (tmp_path / "f").write_bytes(b"x" * 100)
    assert disk_watch(tmp_path, None) is None and disk_watch(tmp_path, 0) is None
    check = disk_watch(tmp_path, 150, every=1.0, clock=lambda: now[0])
    assert check() is None
    (tmp_path / "g").write_bytes(b"x" * 100)
    now[0] = 0.5
    assert check() is None                      # not polled yet
    now[0] = 1.0
    assert check() == "disk quota exceeded: 200 bytes used, 150 allowed"


def test_tree_bytes_does_not_follow_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f").write_bytes(b"x" * 10)
    (tmp_path / "link").symlink_to("/usr")
    link_size = (tmp_path / "link").lstat().st_size
    assert tree_bytes(tmp_path) == 10 + (tmp_path / "sub").lstat().st_size + link_size


def test_limits_warning_names_what_is_missing():
    full = job_limits.LimitSupport(job_limits.CGROUP_V2, job_limits.CGROUP_V2, job_limits.CGROUP_V2)
    assert full.warning is None
    weak = job_limits.LimitSupport(job_limits.RLIMIT, job_limits.NOT_ENFORCED, job_limits.NOT_ENFORCED)
    assert "RLIMIT_AS" in weak.warning and "512-process limit is not enforced" in weak.warning
    assert "CPU quota" in weak.warning
    assert weak.modes == {"memory": "rlimit", "pids": "not enforced", "cpu": "not enforced", "disk": "polled"}


def test_rlimit_fallback_sets_address_space_and_nproc():
    import resource
    group = job_limits._RlimitGroup(job_limits.JobLimits(64 << 20, None, 16), nproc=True)
    pairs = dict(group.rlimits())
    assert pairs[resource.RLIMIT_AS] == 64 << 20 and pairs[resource.RLIMIT_NPROC] >= 16
    assert group.oom_killed() is False
    assert job_limits._RlimitGroup(job_limits.JobLimits(None, None, 16), nproc=False).rlimits() == []


def test_framed_capture_is_line_based_like_dockers_log_copier():
    import io
    from mockprovider.executor import _FramedCapture
    out = io.BytesIO()
    capture = _FramedCapture(out, 1 << 20)
    capture.feed(1, b"one\ntwo\nthr")
    capture.feed(2, b"err\n")
    capture.feed(1, b"ee\n" + b"x" * (16 * 1024 + 5))
    capture.feed(1, b"tail")
    capture.finish()
    assert dockerlog.demux(out.getvalue()) == [
        (1, b"one\n"), (1, b"two\n"), (2, b"err\n"), (1, b"three\n"), (1, b"x" * 16 * 1024),
        (1, b"xxxxxtail")]


def test_framed_capture_cap_keeps_whole_frames():
    import io
    from mockprovider.executor import _FramedCapture
    out = io.BytesIO()
    capture = _FramedCapture(out, 20)
    capture.feed(1, b"abc\ndefghijklmnop\n")
    capture.finish()
    frames = dockerlog.demux(out.getvalue())
    assert frames[0] == (1, b"abc\n") and frames[1][0] == 2 and b"truncated at 20 bytes" in frames[1][1]
