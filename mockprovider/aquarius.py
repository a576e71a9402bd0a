"""Aquarius routes (responses layer): DDOs, metadata, Elasticsearch-shaped queries, validate.

Wire facts follow reference/ocean-ddo-and-runtime.md §1.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping

from c2d_runner import wire
from mockprovider.errors import AquariusError
from mockprovider.http import Reply, TextReply, parse_json
from mockprovider.state import MockState

AQUARIUS_VERSION = "5.1.5"
DDO_VERSIONS = ("4.0.0", "4.1.0", "4.3.0", "4.5.0")
ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def info(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET /api/aquarius: what Aquarius answers at its own root."""
    return Reply({"software": "Aquarius", "version": AQUARIUS_VERSION, "plugin": "mockprovider"})


def health(state: MockState, data: Mapping[str, Any]) -> TextReply:
    """GET /health: plain text, as Aquarius."""
    return TextReply("Elasticsearch connected")


def ddo(state: MockState, data: Mapping[str, Any], did: str) -> Reply:
    """GET assets/ddo/<did>: the full DDO or 404 with Aquarius's text."""
    doc = state.ddos.get(did)
    if doc is None:
        raise AquariusError({"error": f"Asset DID {did} not found in Elasticsearch."}, 404)
    return Reply(doc)


def metadata(state: MockState, data: Mapping[str, Any], did: str) -> Reply:
    """GET assets/metadata/<did>: only the DDO's metadata object."""
    doc = state.ddos.get(did)
    if doc is None:
        raise AquariusError({"error": f"Error encountered while retrieving metadata: Asset DID {did} not found in Elasticsearch."}, 404)
    return Reply(doc["metadata"])


def names(state: MockState, body: Any) -> Reply:
    """POST assets/names {didList}: did -> metadata.name ("" when unknown)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("didList"), list) or not body["didList"]:
        raise AquariusError({"error": "Invalid payload: didList must be a non-empty list."}, 400)
    return Reply({d: (state.ddos[d]["metadata"]["name"] if d in state.ddos else "") for d in body["didList"]})


def chains(state: MockState, data: Mapping[str, Any]) -> Reply:
    """GET chains/list."""
    return Reply({str(state.world.chain_id): True})


# --- query ----------------------------------------------------------------------------------------

class QueryError(ValueError):
    """A query this small Elasticsearch imitation does not understand (answered as HTTP 400, not a C2DError)."""


def _values(doc: Any, dotted: str) -> list[Any]:
    """Values at a dotted path, flattening lists (as ES does for arrays of objects)."""
    field = dotted[:-len(".keyword")] if dotted.endswith(".keyword") else dotted
    current = [doc]
    for part in field.split("."):
        nxt = []
        for c in current:
            if isinstance(c, list):
                c = [x.get(part) for x in c if isinstance(x, Mapping)]
                nxt.extend(v for v in c if v is not None)
            elif isinstance(c, Mapping) and part in c:
                nxt.append(c[part])
        current = nxt
    out = []
    for c in current:
        out.extend(c if isinstance(c, list) else [c])
    return out


def _single(clause: Any, name: str) -> tuple[str, Any]:
    if not isinstance(clause, Mapping) or len(clause) != 1:
        raise QueryError(f"[{name}] query malformed, expected exactly one field")
    ((field, value),) = clause.items()
    return field, value


def matches(query: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    """Whether a DDO matches an ES query made of match_all, term(s), match and bool."""
    if not isinstance(query, Mapping) or len(query) != 1:
        raise QueryError("query malformed: expected one query type")
    ((kind, body),) = query.items()
    if kind == "match_all":
        return True
    if kind == "term":
        field, value = _single(body, kind)
        value = value.get("value") if isinstance(value, Mapping) else value
        return any(v == value or str(v) == str(value) for v in _values(doc, field))
    if kind == "terms":
        field, values = _single(body, kind)
        return any(str(v) in {str(x) for x in values} for v in _values(doc, field))
    if kind in ("match", "match_phrase"):
        field, value = _single(body, kind)
        value = value.get("query") if isinstance(value, Mapping) else value
        words = str(value).lower().split()
        return any(all(w in str(v).lower().split() for w in words) or str(v).lower() == str(value).lower()
                   for v in _values(doc, field))
    if kind == "bool":
        def clauses(key: str) -> list:
            c = body.get(key, [])
            return c if isinstance(c, list) else [c]
        if not all(matches(q, doc) for q in clauses("must") + clauses("filter")):
            return False
        if any(matches(q, doc) for q in clauses("must_not")):
            return False
        should = clauses("should")
        return not should or any(matches(q, doc) for q in should)
    raise QueryError(f"unknown query [{kind}]")


CHAIN_ID_LIMIT = 2**64
PAGE_LIMIT = 10_000  # Elasticsearch's index.max_result_window


def _page_number(value: Any, name: str) -> int:
    number = wire.bounded_int(value, PAGE_LIMIT + 1)
    if number is None:
        raise QueryError(f"[{name}] must be an integer between -{PAGE_LIMIT} and {PAGE_LIMIT}")
    return number


def query(state: MockState, body: Any) -> Reply:
    """POST assets/query: the raw Elasticsearch response shape, hits' _source = DDO."""
    if not isinstance(body, Mapping):
        raise AquariusError({"error": "Invalid payload. The request could not be converted to a dict."}, 400)
    q = body.get("query", {"match_all": {}})
    try:
        found = [d for d in state.ddos.values() if matches(q, d)]
        start = _page_number(body.get("from", 0), "from")
        size = _page_number(body.get("size", 10), "size")
    except QueryError as exc:
        raise AquariusError({"error": f"TransportError(400, 'parsing_exception', '{exc}')"}, 400) from None
    page = found[start:start + size] if size >= 0 else []
    return Reply({
        "took": 1, "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(found), "relation": "eq"},
            "max_score": 1.0 if found else None,
            "hits": [{"_index": "aquarius", "_id": d["id"], "_score": 1.0, "_source": d} for d in page],
        },
    })


# --- validate -------------------------------------------------------------------------------------

def ddo_problems(doc: Mapping[str, Any]) -> dict[str, str]:
    """Aquarius's extra checks on a DDO (version handled by the caller); {} when valid."""
    errors: dict[str, str] = {}
    if not isinstance(doc.get("@context"), (list, dict)):
        errors["@context"] = "Context is missing or invalid."
    meta = doc.get("metadata")
    if not isinstance(meta, Mapping) or not meta:
        errors["metadata"] = "Metadata is missing or invalid."
    else:
        for key in ("created", "updated"):
            if not isinstance(meta.get(key), str) or not ISO_RE.match(meta[key]):
                errors[f"metadata.{key}"] = f"{key} is missing or not an ISO date."
        for key in ("name", "type", "description", "author", "license"):
            if not meta.get(key):
                errors[f"metadata.{key}"] = "value required"
    chain_id = wire.bounded_int(doc.get("chainId"), CHAIN_ID_LIMIT)
    if not chain_id:
        errors["chainId"] = "chainId is missing or invalid."
    nft = doc.get("nftAddress")
    if not isinstance(nft, str) or not ADDRESS_RE.match(nft):
        errors["nftAddress"] = "nftAddress is missing or invalid."
    elif chain_id and wire.derive_did(nft, chain_id) != doc.get("id"):
        errors["id"] = "did is not valid for chain Id and nft address"
    if not isinstance(doc.get("services"), list):
        errors["services"] = "services is missing or invalid."
    return errors


def validate(state: MockState, content_type: str, raw: bytes) -> Reply:
    """POST assets/ddo/validate: octet-stream DDO bytes -> hash + provider signature, or errors."""
    if content_type.split(";")[0].strip() != "application/octet-stream":
        raise AquariusError({"error": "Invalid request content type: should be application/octet-stream"}, 400)
    try:
        doc = parse_json(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AquariusError({"error": f"Invalid json: {exc}"}, 400) from None
    if not isinstance(doc, Mapping):
        raise AquariusError({"error": "Invalid json: expected an object"}, 400)
    if "version" not in doc:
        raise AquariusError([{"message": "no version provided for DDO."}], 400)
    if doc["version"] not in DDO_VERSIONS:
        raise AquariusError({"errors": {"version": f"version {doc['version']} is not supported."}}, 400)
    problems = ddo_problems(doc)
    if problems:
        raise AquariusError({"errors": problems}, 400)
    from eth_account import Account
    from eth_account.messages import encode_defunct

    digest = hashlib.sha256(raw).hexdigest()
    signed = Account.sign_message(encode_defunct(hexstr=digest), private_key=wire.TEST_PROVIDER_KEY)
    return Reply({
        "hash": "0x" + digest,
        "publicKey": state.world.provider_address,
        "v": signed.v,
        "r": ["0x" + signed.r.to_bytes(32, "big").hex()],
        "s": ["0x" + signed.s.to_bytes(32, "big").hex()],
    })
