"""The mock Ocean Node's paid initializeCompute on a local chain (Part A §6 of the node reference).

Per DDO-backed algorithm and dataset: the order's datatoken, the environment's `consumerAddress`
(the node's own address: orders are placed for it, the user pays), `validOrder` (the order the
client sent, when the chain still backs it for this environment and node, else false), and a
`providerFee` signed with the node's key whenever there is no valid order or its fee ran out (the
node gives `service.timeout` as its validUntil). A raw algorithm is `{"validOrder": false}`.
The `payment` block says what the Escrow must hold: the price of the resources for the rounded-up
minutes of `maxJobDuration`, and the lock's minimum seconds (duration + queue wait + the node's
default 3600 s claim timeout).
"""
from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import Any, Mapping

from c2d_runner import wire
from mockprovider.node import envs as node_envs
from mockprovider.node import js
from mockprovider.payment import OrderRefused, sign_provider_fee, verify_order_tx
from mockprovider.world import Environment

CLAIM_DURATION_TIMEOUT = 3600  # the node's default claimDurationTimeout (seconds)
QUEUE_MAX_WAIT_TIME = 0  # the mock runs jobs at once
ZERO = "0x0000000000000000000000000000000000000000"


def max_job_duration(requested: Any, env: Environment) -> float:
    """max(requested, or the env's max when none or above it, env.minJobDuration)."""
    value = requested if isinstance(requested, (int, float)) and not isinstance(requested, bool) and requested > 0 \
        else env.maxJobDuration
    return max(min(float(value), float(env.maxJobDuration)), float(node_envs.MIN_JOB_DURATION))


def escrow_cost(env: Environment, resources: list[Mapping[str, Any]], duration: float) -> Decimal:
    """Σ price · amount · ceil(duration / 60) over the environment's priced resources (cpu here)."""
    prices = {"cpu": Decimal(str(env.priceMin)), "ram": Decimal(0), "disk": Decimal(0)}
    per_minute = sum(prices.get(str(r["id"]), Decimal(0)) * Decimal(str(r["amount"])) for r in resources)
    return per_minute * math.ceil(duration / 60)


def _order_item(state: Any, env_id: str, element: Mapping[str, Any], payee: str) -> dict[str, Any]:
    if "documentId" not in element:
        return {"validOrder": False}
    did, service_id = js.js_string(element["documentId"]), js.js_string(element.get("serviceId"))
    asset = state.world.by_did(did)
    index = next(i for i, s in enumerate(asset.services) if s.id == service_id)
    service = asset.services[index]
    sent = element.get("transferTxId")
    facts = None
    if sent:
        try:
            facts = verify_order_tx(state.chain, str(sent), nft=asset.nft_address, datatoken=service.datatoken,
                                    service_id=service_id, service_index=index, service_timeout=service.timeout,
                                    environment=env_id, sender=payee, provider_address=payee, allow_expired_fee=True)
        except OrderRefused:
            facts = None
    item = {"did": did, "serviceId": service_id, "datatoken": service.datatoken, "chainId": state.chain.chain_id,
            "consumerAddress": payee, "validOrder": str(sent) if facts else False}
    if facts is None or facts.fee_expired:
        item["providerFee"] = sign_provider_fee(env_id, service.datatoken, service_id, payee, ZERO, 0,
                                                service.timeout, time.time(), wire.TEST_PROVIDER_KEY)
    return item


def initialize_answer(state: Any, env: Environment, body: Mapping[str, Any], algorithm: Mapping[str, Any],
                      datasets: list) -> dict[str, Any]:
    """initializeCompute's answer on a chain: the order items and the Escrow payment block."""
    payee = state.world.provider_address  # the environment's consumerAddress: the node's own
    env_id = node_envs.node_env_id(env)
    payment = body["payment"]
    duration = max_job_duration(body.get("maxJobDuration"), env)
    resources = node_envs.fill_resources(payment.get("resources"), env, free=False)
    amount = int(escrow_cost(env, resources, duration) * 10**18)
    return {
        "algorithm": _order_item(state, env_id, algorithm, payee),
        "datasets": [_order_item(state, env_id, d, payee) for d in datasets],
        "payment": {"escrowAddress": state.chain.addresses["Escrow"], "payee": payee,
                    "chainId": state.chain.chain_id,
                    "minLockSeconds": int(duration) + QUEUE_MAX_WAIT_TIME + CLAIM_DURATION_TIMEOUT,
                    "token": js.js_string(payment.get("token")), "amount": str(amount)},
    }


__all__ = ["max_job_duration", "escrow_cost", "initialize_answer"]
