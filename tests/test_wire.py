"""wire's own keccak, EIP-55 checksums and coincurve signing, checked against published vectors and eth-account."""
from __future__ import annotations

import pytest

from c2d_runner import wire

# The test vectors of EIP-55 itself (all caps, all lower, mixed).
EIP55 = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]


def test_keccak_is_ethereums_not_nist_sha3():
    assert wire.keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


@pytest.mark.parametrize("address", EIP55)
def test_checksum_address_matches_eip55_vectors(address):
    assert wire.checksum_address(address.lower()) == address
    assert wire.checksum_address(address.upper().replace("0X", "0x")) == address
    assert wire.checksum_address(address[2:].lower()) == address


@pytest.mark.parametrize("bad", ["", "0x123", "0x" + "g" * 40, "0x" + "a" * 41, None, 5])
def test_checksum_address_refuses_non_addresses(bad):
    with pytest.raises(ValueError):
        wire.checksum_address(bad)


def test_key_wallet_address_is_the_hardhat_accounts():
    assert wire.address_of(wire.TEST_CONSUMER_KEY) == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert wire.address_of(wire.TEST_PROVIDER_KEY) == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize("bad", ["0x" + "0" * 64, "0x" + "f" * 64, "0x1234"])
def test_key_wallet_refuses_invalid_keys(bad):
    with pytest.raises(ValueError, match="not a valid secp256k1 private key"):
        wire.key_wallet(bad)


def test_sign_request_matches_eth_account_and_recovers():
    from eth_account import Account

    account = Account.from_key(wire.TEST_CONSUMER_KEY)
    light = wire.key_wallet(wire.TEST_CONSUMER_KEY)
    for nonce in (1, 17, 1733000000123):
        sig = wire.sign_request(light, light.address + "did:op:x", nonce)
        assert sig == wire.sign_request(account, light.address + "did:op:x", nonce)
        assert wire.recover_signer(light.address + "did:op:x", nonce, sig) == light.address
        assert int(sig[-2:], 16) in (27, 28)
        # v as 0/1 recovers the same signer
        low = sig[:-2] + f"{int(sig[-2:], 16) - 27:02x}"
        assert wire.recover_signer(light.address + "did:op:x", nonce, low) == light.address


def test_node_sign_request_matches_a_wallet_signing_through_sign_message():
    from eth_account import Account

    account = Account.from_key(wire.TEST_CONSUMER_KEY)

    class External:  # a wallet without .key: signs through its own sign_message
        address = account.address

        def sign_message(self, message):
            return account.sign_message(message)

    light = wire.key_wallet(wire.TEST_CONSUMER_KEY)
    sig = wire.node_sign_request(light, 5, "startCompute")
    assert sig == wire.node_sign_request(External(), 5, "startCompute")
    assert wire.node_signature_matches(light.address, 5, "startCompute", sig)
    assert not wire.node_signature_matches(light.address, 6, "startCompute", sig)


@pytest.mark.parametrize("bad", ["0x12", "zz" * 65, "0x" + "00" * 65, "0x" + "ff" * 64 + "1b", "0x" + "11" * 64 + "05"])
def test_recover_signer_refuses_malformed_signatures(bad):
    with pytest.raises(ValueError):
        wire.recover_signer("m", 1, bad)
