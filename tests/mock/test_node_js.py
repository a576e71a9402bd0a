"""The JavaScript value rules the mock node applies (pure): parseInt'd nonces as the real node 3.1 read
them (refnode's hostile-nonce recordings), Number() for result indexes, ethers' isAddress."""
from __future__ import annotations

import math

import pytest

from mockprovider.node.js import is_address, number_text, parse_int, to_number


@pytest.mark.parametrize("sent, signed_as", [
    ("1e1000000", "1"), ("12abc", "12"), ("0x10", "16"), (" 20", "20"), ("1.9", "1"),
    ("99999999999999999999999", "1e+23"), ("-5", "-5"), ("abc", "NaN"), ("", "NaN"), (7, "7"), (1.5, "1"),
    ("9" * 1_000_000, "Infinity"), ("0" * 500_000 + "3", "3"),
])
def test_nonces_read_as_the_node_reads_them(sent, signed_as):
    assert number_text(parse_int(sent)) == signed_as


@pytest.mark.parametrize("text, value", [("0", 0.0), (" 2 ", 2.0), ("1e3", 1000.0), ("0x10", 16.0), ("", 0.0),
                                         ("1e1000000", math.inf), ("-1", -1.0)])
def test_result_index_as_number(text, value):
    assert to_number(text) == value


@pytest.mark.parametrize("text", ["abc", "1,2", "9" * 5000])
def test_result_index_not_a_number(text):
    assert math.isnan(to_number(text))


def test_is_address_follows_ethers():
    good = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert is_address(good) and is_address(good.lower()) and is_address("0x" + good[2:].upper())
    assert not is_address(good[:-1] + "7") and not is_address("0x123") and not is_address(None)
    assert not is_address("0xf39fd6e51aad88F6F4ce6aB8827279cffFb92266")  # mixed case, bad checksum
