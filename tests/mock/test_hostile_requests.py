"""Issue 12: requests that used to freeze the mock, exhaust its memory or come back as crashes or HTML."""
from __future__ import annotations

import socket

import pytest
import requests

from c2d_runner import wire
from mockprovider.http import MAX_BODY_BYTES, MAX_JSON_DEPTH
from tests.mock.helpers import TIMEOUT

HUGE_NUMBERS = ["1e1000000", "-1e1000000", "1e-1000000", "9" * 5000, "1" + "0" * 40]


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _raw(url: str, request: bytes) -> bytes:
    """Send raw bytes, return everything the mock answers (it closes every connection)."""
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.mark.parametrize("nonce", HUGE_NUMBERS)
def test_a_signed_huge_nonce_is_refused_without_touching_the_stored_one(consumer, mock, nonce):
    before = consumer.next_nonce()
    r = consumer.result("0" * 32, 0, nonce=nonce)
    assert r.status_code == 400 and r.json()["errors"] == {"nonce": ["The nonce must be a number."]}
    assert consumer.next_nonce() == before
    assert mock.errors == []


@pytest.mark.parametrize("index", HUGE_NUMBERS + ["7.5", "abc"])
def test_a_huge_result_index_is_not_a_number(consumer, index):
    nonce = consumer.next_nonce()
    params = {"consumerAddress": consumer.address, "jobId": "x", "index": index, "nonce": nonce,
              "signature": consumer.sign(consumer.address + "x" + index, nonce)}
    r = consumer.http.get(f"{consumer.s}/computeResult", params=params, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["errors"] == {"index": ["The index must be a number."]}


@pytest.mark.parametrize("valid_until", [10**40, "1e1000000", 1e300, "soon"])
def test_a_huge_valid_until_is_not_an_integer(consumer, dids, mock, valid_until):
    body = {"datasets": [{"documentId": dids["iris"], "serviceId": "compute"}],
            "algorithm": {"documentId": dids["stats"], "serviceId": "compute"},
            "compute": {"env": "ocean-compute", "validUntil": valid_until}, "consumerAddress": consumer.address}
    r = consumer.http.post(f"{consumer.s}/initializeCompute", json=body, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["errors"] == {"compute.validUntil": ["The compute.validUntil must be an integer."]}
    assert mock.errors == []


def test_aquarius_query_paging_and_ddo_chain_id_are_bounded(mock):
    r = requests.post(f"{mock.url}/api/aquarius/assets/query", json={"from": "1e1000000"}, timeout=TIMEOUT)
    assert r.status_code == 400 and "[from] must be an integer" in r.json()["error"]
    ddo = {"version": "4.1.0", "chainId": "1e1000000", "nftAddress": "0x" + "1" * 40}
    r = requests.post(f"{mock.url}/api/aquarius/assets/ddo/validate", data=str(ddo).replace("'", '"'),
                      headers={"Content-Type": "application/octet-stream"}, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["errors"]["chainId"] == "chainId is missing or invalid."
    assert mock.errors == []


def test_a_body_over_the_limit_is_refused_before_it_is_sent(mock):
    # Only the headers go out: the 413 must come back without the mock waiting for 100 MB.
    answer = _raw(mock.url, b"POST /api/services/compute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 100000000\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ") and b"application/json" in head
    assert f"over the limit of {MAX_BODY_BYTES} bytes".encode() in body


def test_a_chunked_body_over_the_limit_is_refused(mock):
    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536
    r = requests.post(f"{mock.url}/api/services/compute", data=chunks(), timeout=TIMEOUT)
    assert r.status_code == 413 and "over the limit" in r.json()["error"]


def test_a_body_just_under_the_limit_is_read(consumer, mock):
    body = b'{"consumerAddress": "' + consumer.address.encode() + b'"}'
    r = consumer.http.post(f"{consumer.s}/compute", data=body + b" " * (MAX_BODY_BYTES - len(body)), timeout=TIMEOUT)
    assert r.status_code == 400 and "errors" in r.json()  # validation, so the body was parsed


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_deeply_nested_json_is_a_client_error_not_a_crash(mock, depth):
    for path in ("/api/services/compute", "/api/services/initializeCompute", "/api/aquarius/assets/query"):
        r = requests.post(mock.url + path, data="[" * depth + "]" * depth, timeout=TIMEOUT,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (path, r.text)
        assert r.json()["error"] == f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    assert mock.errors == []


def test_errors_before_routing_are_json_in_the_providers_shape(mock):
    r = requests.get(f"{mock.url}/api/services/nonce?userAddress=" + "a" * 70_000, timeout=TIMEOUT)
    assert r.status_code == 414 and r.headers["Content-Type"] == "application/json"
    assert r.json() == {"error": "414 Request-URI Too Long", "context": {}}
    answer = _raw(mock.url, b"GET a b HTTP/1.1\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b" 400 " in head.split(b"\r\n")[0] and b"application/json" in head
    assert body.startswith(b'{"error": "400 ')


def test_numbers_are_bounded_before_any_arithmetic():
    assert wire.bounded_number("1e1000000", 10**30) is None
    assert wire.bounded_number("1e-1000000", 10**30) is None
    assert wire.bounded_number("12", 10**30) == 12 and wire.bounded_number(" 3.5 ", 10) == wire.bounded_number(3.5, 10)
    assert wire.bounded_number(True, 10) is None and wire.bounded_number("nan", 10) is None
    assert wire.bounded_int("7.0", 10) == 7 and wire.bounded_int("7.5", 10) is None
    assert wire.bounded_int(10**40, 10**30) is None and wire.bounded_int(-5, 10) == -5


def test_the_node_protocol_answers_the_same_attacks_in_express_shapes(tmp_path):
    from mockprovider import MockOcean

    with MockOcean(protocol="ocean-node", state_dir=tmp_path / "state") as node:
        answer = _raw(node.url, b"POST /api/services/freeCompute HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n")
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413 ") and b"text/html" in head and b"<pre>" in body
        deep = "[" * 50_000 + "]" * 50_000
        r = requests.post(f"{node.url}/api/services/freeCompute", data=deep, timeout=TIMEOUT,
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and "nested too deeply" in r.text
        r = requests.get(f"{node.url}/api/services/nonce?userAddress=" + "a" * 70_000, timeout=TIMEOUT)
        assert r.status_code == 414 and r.headers["Content-Type"].startswith("text/html")
        assert node.errors == []
