"""The Ocean Node signed-message rule, checked against the ethers-produced vectors of the reference
(ocean-node-api.md Part A §2) and against eth-account as an independent oracle."""
from __future__ import annotations

import itertools

import pytest

from c2d_runner import wire

KEY = "0x" + "11" * 32
ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"

VECTORS = [
    (1, "freeStartCompute",
     "0x4030a2edb4e857d24e14e4a471386ed13d31afaf7777aa97b6ad78633fdd5ce1",
     "0xc18aead0a002d69861a5b9f5c16e301ec7fd0f5793b58e872bd48dc27b4505972765b9b0978717e136e972ce98d6eb1ac17"
     "feaa3a8cffdf67d1781c0622c41c01c"),
    (2, "getComputeResult",
     "0x9ab89d6e77f4581c0661c0e36fd4fa13fa547e672b8766f2d8c3e44420a4fc14",
     "0x507d640f24deab2ac6b0cb192e5873559e8a77603d9447cbc751ea3f6bfda1010945bf94046aaba27f4fd2f5d33eb16a11"
     "2803e139e85853e8f28411cdebeb171b"),
    (3, "stopCompute",
     "0x3b0c34a0c6df4fcdcb89d82db27ae631b3e99f83c9185634738998cc6c8fb67d",
     "0x8a3e5761aa5a27e3b23ae22c8576418ed0f302c805d5c2be62010c25e3f4f386689a2d84c9981a91cf0e13be3f6635234b"
     "879887f99220e677804e270b193d3b1b"),
    (4, "getComputeStreamableLogs",
     "0x1855fac7deb5a197869b1c2f545986af30c1277142d73c16439569c245b9f447",
     "0x94fbbda1214c47c1feeee2259fbc3c52ca7994d06efa684e78a0d716e4993456520bb7b182dc73a11dfef7827f11a09f3c"
     "0702f53ea3c8097b34f92e6795ba7a1c"),
    (5, "startCompute",
     "0x403f07fd07c2058d929a13a190bf8483c964d5c6e61899ebc7742d429c159e58",
     "0x4f2941e1ea8520e0e7cd0407f312eb170c3a6b13da329edc6d896cc1aa8157f375f83724ae007583d2ae5c5d921a4764b8"
     "837363dbd1ca01100f508038ddff691c"),
]


def test_test_key_address():
    assert wire.address_of(KEY) == ADDRESS


def test_message_is_plain_concatenation():
    assert wire.node_message(ADDRESS, 1, "freeStartCompute") == ADDRESS + "1freeStartCompute"


@pytest.mark.parametrize("nonce, command, digest, signature", VECTORS)
def test_reference_vectors(nonce, command, digest, signature):
    assert "0x" + wire.node_message_hash(ADDRESS, nonce, command).hex() == digest
    assert wire.node_sign_request(wire.key_wallet(KEY), nonce, command) == signature
    assert wire.node_sign_request(wire.key_wallet(KEY), str(nonce), command) == signature
    assert wire.node_recover_signer(ADDRESS, nonce, command, signature) == ADDRESS
    assert wire.node_signature_matches(ADDRESS, nonce, command, signature)


@pytest.mark.parametrize("nonce, command, digest, signature", VECTORS)
def test_vectors_with_an_eth_account_wallet(nonce, command, digest, signature):
    from eth_account import Account

    assert wire.node_sign_request(Account.from_key(KEY), nonce, command) == signature


def _nonce_with_zero_leading_hash() -> int:
    """A nonce whose message hash starts with a 0x00 byte (about one in 256)."""
    return next(n for n in itertools.count(1) if wire.node_message_hash(ADDRESS, n, "stopCompute")[0] == 0)


def test_leading_zero_bytes_are_dropped_like_ethers_to_be_array():
    from eth_account import Account
    from eth_account.messages import encode_defunct

    nonce = _nonce_with_zero_leading_hash()
    digest = wire.node_message_hash(ADDRESS, nonce, "stopCompute")
    oracle = Account.from_key(KEY).sign_message(encode_defunct(primitive=digest.lstrip(b"\0"))).signature.hex()
    unstripped = Account.from_key(KEY).sign_message(encode_defunct(primitive=digest)).signature.hex()
    ours = wire.node_sign_request(wire.key_wallet(KEY), nonce, "stopCompute")
    assert ours.removeprefix("0x") == oracle.removeprefix("0x")
    assert ours.removeprefix("0x") != unstripped.removeprefix("0x")
    assert wire.node_signature_matches(ADDRESS, nonce, "stopCompute", ours)
    assert not wire.node_signature_matches(ADDRESS, nonce, "stopCompute", "0x" + unstripped.removeprefix("0x"))


def test_hex_text_form_is_accepted_too():
    from eth_account import Account
    from eth_account.messages import encode_defunct

    text = "0x" + wire.node_message_hash(ADDRESS, 7, "freeStartCompute").hex()
    sig = Account.from_key(KEY).sign_message(encode_defunct(text=text)).signature.hex()
    assert wire.node_signature_matches(ADDRESS, 7, "freeStartCompute", sig)


def test_mismatches_are_refused():
    sig = wire.node_sign_request(wire.key_wallet(KEY), 1, "freeStartCompute")
    assert not wire.node_signature_matches(ADDRESS, 1, "stopCompute", sig)  # other command
    assert not wire.node_signature_matches(ADDRESS, 2, "freeStartCompute", sig)  # other nonce
    # the address is part of the message: a lowercase address is another message
    assert not wire.node_signature_matches(ADDRESS.lower(), 1, "freeStartCompute", sig)
    other = wire.address_of(wire.TEST_CONSUMER_KEY)
    assert not wire.node_signature_matches(other, 1, "freeStartCompute", sig)  # another key
    assert not wire.node_signature_matches(ADDRESS, 1, "freeStartCompute", "0x1234")
    assert not wire.node_signature_matches(ADDRESS, 1, "freeStartCompute", "zz")


def test_lowercase_address_signs_its_own_message():
    lower = ADDRESS.lower()
    sig = wire.node_sign_request(wire.key_wallet(KEY), 1, "freeStartCompute", address=lower)
    assert wire.node_signature_matches(lower, 1, "freeStartCompute", sig)
    assert wire.node_recover_signer(lower, 1, "freeStartCompute", sig) == ADDRESS


def test_recover_rejects_malformed_signatures():
    with pytest.raises(ValueError, match="65 bytes"):
        wire.node_recover_signer(ADDRESS, 1, "stopCompute", "0x1234")
    with pytest.raises(ValueError, match="not hex"):
        wire.node_recover_signer(ADDRESS, 1, "stopCompute", "0xzz")


def test_provider_rule_unchanged():
    wallet = wire.key_wallet(wire.TEST_CONSUMER_KEY)
    sig = wire.sign_request(wallet, "hello", 3)
    assert wire.recover_signer("hello", 3, sig) == wallet.address
