"""Pure helpers for the Ocean wire rules, shared by the client and the mock.

The client (`c2d_runner.ocean`) and the mock (`mockprovider`) never import each other, so that a
bug cannot cancel itself out on both sides; this module is the one place both may use.  It holds
facts, not policy: DID derivation, the signed-message rules (Provider and Ocean Node), checksums,
the v1 status table and bounded parsing of numbers the other side sends.

Signing and recovery run on coincurve (libsecp256k1, ~0.1 ms a signature) and keccak on
pycryptodome: eth-keys' pure-Python backend costs 8-13 ms a signature and eth_utils pulls in
pydantic (~200 ms to import).  Both are imported lazily so that `c2d --help` and `c2d validate`
stay fast; eth-account only for wallet objects that sign through their own `sign_message`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

DID_PREFIX = "did:op:"
DID_RE = re.compile(r"^did:op:[0-9a-f]{64}$")

# Well-known throwaway keys (Hardhat/Anvil dev accounts #0 and #1, published in their docs).
# They are for offline tests against the bundled mock only and must never hold funds.
TEST_CONSUMER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
TEST_PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"

# Provider v2.x / operator-engine v1 status codes with the exact texts the status object carries
# (note the trailing space of 40).
STATUS_TEXT = {
    1: "Warming up",
    10: "Job started",
    20: "Configuring volumes",
    30: "Provisioning success",
    31: "Data provisioning failed",
    32: "Algorithm provisioning failed",
    40: "Running algorithm ",
    50: "Filtering results",
    60: "Publishing results",
    70: "Job finished",
}
STATUS_FINISHED = 70
STATUS_FAILED = (31, 32)
TERMINAL_STATUSES = frozenset({31, 32, 70})


# The Provider's status has no exit code (operator-engine ends a crashed algorithm at 70 too). The
# mock says it in its provisioning log (configure.log, result type configrationLog) in this line, so
# the runner can judge the algorithm without anything added to the wire; a real Provider's log has no
# such line, and its jobs have no known exit code.
_EXIT_LINE = re.compile(r"\balgorithm (?:exit code: (-?\d+)|killed by signal (\d+))\s*$", re.M)


def exit_code_line(code: int) -> str:
    """The provisioning-log line for an algorithm's exit (a negative code: killed by that signal)."""
    return f"algorithm exit code: {code}" if code >= 0 else f"algorithm killed by signal {-code}"


def exit_code_from_log(text: str) -> int | None:
    """The algorithm's exit code from a provisioning log (signal N reads as 128+N, as a shell says), or None."""
    found = _EXIT_LINE.findall(text or "")
    if not found:
        return None
    code, signal = found[-1]
    return int(code) if code else 128 + int(signal)


def status_text(status: int) -> str:
    """The statusText a real operator writes for a status code."""
    return STATUS_TEXT.get(status, "Unknown status")


def is_valid_did(did: object) -> bool:
    """True for `did:op:` followed by 64 lowercase hex digits."""
    return isinstance(did, str) and bool(DID_RE.match(did))


def did_hex(did: str) -> str:
    """The DID without its `did:op:` prefix, as used for /data/inputs and /data/ddos folders."""
    return did[len(DID_PREFIX):] if did.startswith(DID_PREFIX) else did


ADDRESS_RE = re.compile(r"^(0x)?[0-9a-fA-F]{40}$")


def keccak(data: bytes) -> bytes:
    """keccak256 of `data` (Ethereum's hash, not NIST SHA3-256)."""
    from Crypto.Hash import keccak as _keccak

    return _keccak.new(digest_bits=256, data=data).digest()


def checksum_address(address: str) -> str:
    """EIP-55 checksummed form of a 40-hex-digit address (with or without 0x); ValueError otherwise."""
    if not isinstance(address, str) or not ADDRESS_RE.match(address):
        raise ValueError(f"not an address: {address!r}")
    lower = address[-40:].lower()
    nibbles = keccak(lower.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(n, 16) >= 8 else c for c, n in zip(lower, nibbles))


def derive_did(nft_address: str, chain_id: int) -> str:
    """`did:op:` + sha256(checksummed nft address + decimal chain id): the rule Aquarius uses."""
    text = checksum_address(nft_address) + str(int(chain_id))
    return DID_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def files_checksum(contents: list[bytes]) -> str:
    """Concatenated sha256 hex of each algorithm file's content, in file order."""
    return "".join(hashlib.sha256(c).hexdigest() for c in contents)


def container_section_checksum(entrypoint: str, checksum: str) -> str:
    """sha256 hex of the container entrypoint followed by the image checksum."""
    return hashlib.sha256((entrypoint + checksum).encode("utf-8")).hexdigest()


def _digest(message: str, nonce: object) -> bytes:
    """keccak(message + nonce), then the EIP-191 personal-message hash of those 32 bytes."""
    return _personal_digest(keccak((message + str(nonce)).encode("utf-8")))


def _key_bytes(key) -> bytes:
    if isinstance(key, str):
        return bytes.fromhex(key[2:] if key.lower().startswith("0x") else key)
    return bytes(key)


@dataclass(frozen=True)
class KeyWallet:
    """A consumer key and its address: all the runner needs to sign.

    eth-account's LocalAccount does the same but costs about 300 ms to import (it pulls in BLS
    curve code through eth-keyfile and pydantic through eth_utils).
    """

    address: str
    key: bytes = field(repr=False)


def key_wallet(private_key) -> KeyWallet:
    """A KeyWallet for a private key (hex text or 32 bytes); ValueError when it is not a valid key."""
    try:
        raw = _key_bytes(private_key)
        secret = _private_key(raw)
    except Exception as exc:  # coincurve raises ValueError for a zero or out-of-range key
        raise ValueError(f"not a valid secp256k1 private key ({type(exc).__name__})") from None
    return KeyWallet(_public_address(secret.public_key), raw)


@lru_cache(maxsize=16)
def _private_key(raw: bytes):
    """The coincurve key for 32 secret bytes, built once per key (a process signs with one or two)."""
    from coincurve import PrivateKey

    if len(raw) != 32:
        raise ValueError("a private key is 32 bytes")
    return PrivateKey(raw)


def _public_address(public_key) -> str:
    """The checksummed address of a coincurve public key: the last 20 bytes of keccak(x || y)."""
    return checksum_address(keccak(public_key.format(compressed=False)[1:])[-20:].hex())


def _sign_digest(key, digest: bytes) -> str:
    """`0x` + r + s + v hex (v = 27/28, the form ethers and eth-account produce) of a 32-byte digest."""
    rsv = _private_key(_key_bytes(key)).sign_recoverable(digest, hasher=None)
    return "0x" + rsv[:64].hex() + bytes([rsv[64] + 27]).hex()


def _recover(signature: bytes, digest: bytes) -> str:
    """The checksummed signer of `digest` for a parsed 65-byte signature (v 0/1); ValueError if none."""
    from coincurve import PublicKey

    try:
        return _public_address(PublicKey.from_signature_and_message(signature, digest, hasher=None))
    except Exception as exc:  # coincurve raises ValueError/Exception for bad values and curve points
        raise ValueError(f"cannot recover signer: {exc}") from None


def address_of(private_key) -> str:
    """The checksummed address of a private key."""
    return key_wallet(private_key).address


def sign_request(account, message: str, nonce: object) -> str:
    """Sign `message + str(nonce)` the Provider way: personal-sign of keccak's 32 bytes (v = 27/28).

    Works with a KeyWallet or an eth-account LocalAccount (both expose `.key`); any other wallet
    object is asked to personal-sign through its own `sign_message`.
    """
    key = getattr(account, "key", None)
    if key is None:
        from eth_account.messages import encode_defunct

        signed = account.sign_message(encode_defunct(primitive=keccak((message + str(nonce)).encode("utf-8"))))
        sig = signed.signature.hex()
        return sig if sig.startswith("0x") else "0x" + sig
    return _sign_digest(key, _digest(message, nonce))


def recover_signer(message: str, nonce: object, signature: str) -> str:
    """The checksummed address that signed `message + str(nonce)`; v may be 0/1 or 27/28.

    Raises ValueError when the signature cannot be decoded or recovered.
    """
    return _recover(_parse_signature(signature), _digest(message, nonce))


_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _parse_signature(signature: str) -> bytes:
    """r + s + v (v 0/1) from `0x` + r + s + v hex (v 0/1 or 27/28); ValueError when malformed."""
    try:
        raw = bytes.fromhex(signature[2:] if signature.startswith("0x") else signature)
    except (ValueError, AttributeError):
        raise ValueError("signature is not hex") from None
    if len(raw) != 65:
        raise ValueError(f"signature must be 65 bytes, got {len(raw)}")
    v = raw[64] - 27 if raw[64] >= 27 else raw[64]
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    if v not in (0, 1) or not (0 < r < _SECP256K1_N and 0 < s < _SECP256K1_N):
        raise ValueError(f"cannot decode signature: v, r or s out of range (v={raw[64]})")
    return raw[:64] + bytes([v])


# --- Ocean Node (C2D v2) signed messages ---------------------------------------------------------
# The node signs `consumerAddress + nonce + command` (ocean-node nonceHandler.ts): keccak256 of the
# UTF-8 text, then EIP-191 personal-sign of the hash as *bytes* after ethers' `toBeArray`, which drops
# leading zero bytes (so a hash starting 0x00 is signed as 31 bytes, with length "31" in the prefix).
# The node also accepts a signature over the 66-character hex text of the hash; recovery tries both.

NODE_COMMANDS = frozenset({
    "freeStartCompute", "startCompute", "stopCompute", "getComputeResult", "getComputeStreamableLogs",
})


def node_message(address: str, nonce: object, command: str) -> str:
    """The text an Ocean Node signs: the address exactly as sent, the nonce, the command name."""
    return f"{address}{nonce}{command}"


def node_message_hash(address: str, nonce: object, command: str) -> bytes:
    """keccak256 of the node message (32 bytes, leading zeros kept)."""
    return keccak(node_message(address, nonce, command).encode("utf-8"))


def _personal_digest(payload: bytes) -> bytes:
    """EIP-191 version 0x45 digest of `payload` (the prefix carries its decimal length)."""
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(payload)).encode("ascii") + payload)


def _node_digests(address: str, nonce: object, command: str) -> tuple[bytes, bytes]:
    """The two digests a node accepts: over the stripped hash bytes, and over its `0x…` hex text."""
    digest = node_message_hash(address, nonce, command)
    return _personal_digest(digest.lstrip(b"\0")), _personal_digest(("0x" + digest.hex()).encode("ascii"))


def node_sign_request(account, nonce: object, command: str, address: str | None = None) -> str:
    """Sign a node command the ocean.js way (v = 27/28); `address` defaults to the wallet's own.

    Works with a KeyWallet or an eth-account LocalAccount (both expose `.key`); any other wallet
    object is asked to personal-sign the stripped hash bytes through its own `sign_message`.
    """
    address = account.address if address is None else address
    key = getattr(account, "key", None)
    if key is None:
        from eth_account.messages import encode_defunct

        primitive = node_message_hash(address, nonce, command).lstrip(b"\0")
        sig = account.sign_message(encode_defunct(primitive=primitive)).signature.hex()
        return sig if sig.startswith("0x") else "0x" + sig
    return _sign_digest(key, _node_digests(address, nonce, command)[0])


def node_signature_matches(address: str, nonce: object, command: str, signature: str) -> bool:
    """True when `signature` recovers to `address` (case-insensitive) in either form a node accepts.

    The message is rebuilt with `address` exactly as the request carried it; a mixed-case and a
    lowercase address therefore sign different messages, as on the node.
    """
    try:
        parsed = _parse_signature(signature)
    except ValueError:
        return False
    for digest in _node_digests(address, nonce, command):
        try:
            signer = _recover(parsed, digest)
        except ValueError:  # a bad curve point: this form does not match
            continue
        if signer.lower() == str(address).lower():
            return True
    return False


def node_recover_signer(address: str, nonce: object, command: str, signature: str) -> str:
    """The checksummed signer of the node message over the stripped hash bytes (ocean.js's form).

    Raises ValueError when the signature cannot be decoded or recovered.
    """
    return _recover(_parse_signature(signature), _node_digests(address, nonce, command)[0])


# --- numbers from the other side ------------------------------------------------------------------
# A number that arrives as text or JSON is checked by its size BEFORE any arithmetic: "1e1000000"
# is a valid Decimal, and turning it into an int (or a string) builds a million-digit number,
# seconds of CPU under whatever lock the caller holds.

MAX_NUMBER_CHARS = 64          # longer texts are refused unread
MAX_FRACTION_DIGITS = 30       # "1e-1000000" would print as a million zeros


def bounded_number(value: object, limit: int) -> Decimal | None:
    """`value` (a JSON number, or its text) as a finite Decimal with |value| < limit; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value) if -limit < value < limit else None
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None
    if not text or len(text) > MAX_NUMBER_CHARS:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number.copy_abs() >= limit:
        return None
    if number and number.as_tuple().exponent < -MAX_FRACTION_DIGITS:
        return None
    return number


def bounded_int(value: object, limit: int) -> int | None:
    """`value` as an int with |value| < limit when it is a whole number (7, "7", 7.0, "7.0"); else None."""
    number = bounded_number(value, limit)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)
