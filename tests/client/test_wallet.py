"""Wallet loading (never leaking the key), nonce parsing and the thread-safe high-water mark."""
from __future__ import annotations

import json
import threading

import pytest

from c2d_runner import wire
from c2d_runner.ocean import ClientConfig, ConfigError, OceanError, WalletError, wallet_from_env, wallet_from_key_file
from c2d_runner.ocean.errors import ProviderError
from c2d_runner.ocean.wallet import NonceTracker, parse_nonce

from .conftest import DATASET_DID, root_document

HARDHAT_0_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # Hardhat dev account #0


def test_wallet_from_env(monkeypatch):
    monkeypatch.setenv("C2D_PRIVATE_KEY", wire.TEST_CONSUMER_KEY)
    assert wallet_from_env().address == HARDHAT_0_ADDRESS
    monkeypatch.setenv("OTHER_KEY", wire.TEST_CONSUMER_KEY[2:] + "\n")
    assert wallet_from_env("OTHER_KEY").address == HARDHAT_0_ADDRESS


def test_wallet_from_env_missing(monkeypatch):
    monkeypatch.delenv("C2D_PRIVATE_KEY", raising=False)
    with pytest.raises(WalletError, match=r"environment variable C2D_PRIVATE_KEY is not set"):
        wallet_from_env()


def test_malformed_key_message_never_contains_the_key(monkeypatch):
    bad = wire.TEST_CONSUMER_KEY[:-2] + "zz"
    monkeypatch.setenv("C2D_PRIVATE_KEY", bad)
    with pytest.raises(WalletError) as info:
        wallet_from_env()
    assert "malformed" in str(info.value) and "environment variable C2D_PRIVATE_KEY" in str(info.value)
    assert bad not in str(info.value) and bad[2:] not in str(info.value)


def test_out_of_range_key_is_refused_without_echo(tmp_path):
    key = "0x" + "f" * 64  # above the secp256k1 order
    path = tmp_path / "key"
    path.write_text(key + "\n")
    with pytest.raises(WalletError, match=r"not a valid secp256k1 key") as info:
        wallet_from_key_file(path)
    assert "f" * 64 not in str(info.value)


def test_wallet_from_key_file(tmp_path):
    path = tmp_path / "consumer.key"
    path.write_text("\n  " + wire.TEST_CONSUMER_KEY + "  \n")
    assert wallet_from_key_file(path).address == HARDHAT_0_ADDRESS
    with pytest.raises(WalletError, match=r"key file .*missing.* does not exist"):
        wallet_from_key_file(tmp_path / "missing")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(WalletError, match=r"no private key in key file"):
        wallet_from_key_file(tmp_path / "empty")


def test_a_wallets_key_is_redacted_from_errors_of_calls_made_with_it(httpserver, oc, provider_url, wallet):
    # The Python provider's global error handler echoes the request back; were a key in it, the
    # error leaving the call made with that wallet must not show it.
    httpserver.expect_request("/").respond_with_json(root_document())
    httpserver.expect_request("/api/services/nonce").respond_with_json({"nonce": "1"})
    httpserver.expect_request("/api/services/compute", method="PUT").respond_with_json(
        {"error": f"echo of request: {{'key': '{wire.TEST_CONSUMER_KEY}'}}", "context": {"k": wire.TEST_CONSUMER_KEY}},
        status=400)
    with pytest.raises(ProviderError) as info:
        oc.stop(DATASET_DID, provider_url, "job-1", wallet)
    err = info.value
    assert wire.TEST_CONSUMER_KEY[2:] not in str(err) and "<redacted>" in str(err)
    assert wire.TEST_CONSUMER_KEY[2:] not in err.detail + json.dumps(err.body)
    assert err.status == 400


@pytest.mark.parametrize("value, expected", [("1", 1), (1, 1), ("3.2", 4), (7.0, 7), ("0", 0), (" 12 ", 12)])
def test_parse_nonce_accepts_strings_and_numbers(value, expected):
    assert parse_nonce(value) == expected


@pytest.mark.parametrize("value", ["abc", None, "NaN", "", "1e300000", 10**40, "-1e1000000"])
def test_parse_nonce_rejects_garbage_and_hostile_sizes(value):
    with pytest.raises(ProviderError, match="nonce is not a number below 10"):
        parse_nonce(value)


def test_nonce_tracker_always_increases_and_is_thread_safe():
    tracker = NonceTracker()
    assert tracker.next("http://p", "0xAb", 5) == 6
    assert tracker.next("http://p", "0xab", 5) == 7  # same address, any case
    assert tracker.next("http://p", "0xab", 20) == 21  # the provider moved on
    assert tracker.next("http://q", "0xab", 0) == 1  # another provider has its own mark
    got: list[int] = []
    lock = threading.Lock()

    def worker():
        for _ in range(200):
            n = tracker.next("http://p", "0xab", 3)
            with lock:
                got.append(n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == len(got) == 1600
    assert min(got) == 22 and tracker.last("http://p", "0xAB") == max(got)


def test_config_from_ocean_py_dict():
    cfg = ClientConfig.from_mapping(
        {"METADATA_CACHE_URI": "http://aqua:5000/", "CHAIN_ID": "8996", "NETWORK_NAME": "x", "REQUEST_TIMEOUT": [3, 60]}
    )
    assert cfg.metadata_cache_uri == "http://aqua:5000"
    assert cfg.chain_id == 8996 and cfg.timeout == (3.0, 60.0)
    assert ClientConfig.from_mapping(None).timeout == (10.0, 30.0)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"REQUEST_TIMEOUT": 0}, "REQUEST_TIMEOUT must be > 0"),
        ({"REQUEST_TIMEOUT": "soon"}, "REQUEST_TIMEOUT must be seconds"),
        ({"METADATA_CACHE_URI": "aqua:5000"}, "must be an http"),
        ({"CHAIN_ID": "main"}, "CHAIN_ID must be an integer"),
        ({"RETRIES": -1}, "RETRIES must be >= 0"),
        ("METADATA_CACHE_URI", "config must be a dict"),
    ],
)
def test_config_errors(config, message):
    with pytest.raises(ConfigError, match=message):
        ClientConfig.from_mapping(config)
