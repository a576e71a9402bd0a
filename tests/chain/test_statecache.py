"""The state cache's file format and key (pure; no chain needed)."""
from __future__ import annotations

import pytest

from c2d_runner.chain import statecache


def test_encode_decode_round_trip():
    items = {b"k1": b"v1", b"": b"empty key", b"k" * 300: b"\x00" * 70000}
    assert statecache.decode(statecache.encode(items.items())) == items


@pytest.mark.parametrize("data", [b"", b"pickle\x80", statecache.FORMAT + b"\x00\x00\x00\x05"])
def test_decode_refuses_what_it_did_not_write(data):
    with pytest.raises(ValueError):
        statecache.decode(data)


def test_truncated_value_is_refused():
    data = statecache.encode([(b"key", b"value")])
    with pytest.raises(ValueError, match="truncated"):
        statecache.decode(data[:-1])


def test_load_of_missing_or_bad_file_is_none(tmp_path):
    assert statecache.load(tmp_path / "absent.bin") is None
    (tmp_path / "bad.bin").write_bytes(b"garbage")
    assert statecache.load(tmp_path / "bad.bin") is None


def test_save_then_load(tmp_path):
    path = tmp_path / "deep" / "state.bin"
    statecache.save(path, [(b"a", b"b")])
    assert statecache.load(path) == {b"a": b"b"}


def test_cache_key_depends_on_every_part():
    assert statecache.cache_key(["a", "b"]) != statecache.cache_key(["a", "c"])
    assert statecache.cache_key(["ab", ""]) != statecache.cache_key(["a", "b"])


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("C2D_CHAIN_CACHE", str(tmp_path / "explicit"))
    assert statecache.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("C2D_CHAIN_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert statecache.cache_dir() == tmp_path / "c2d-runner" / "chain"


def test_importing_the_chain_package_loads_neither_web3_nor_eth_tester():
    import subprocess
    import sys

    code = ("import sys, c2d_runner.chain.local, c2d_runner.chain.bridge, c2d_runner.chain.deploy, "
            "c2d_runner.chain.tx, c2d_runner.chain.artifacts; "
            "print(any(m in sys.modules for m in ('web3', 'eth_tester', 'eth')))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "False"
