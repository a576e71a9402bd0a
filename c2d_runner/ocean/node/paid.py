"""Paid compute on an Ocean Node, the wire side (ocean-node-api.md §1.4, §1.6, §6): the
initializeCompute body and answer, and the paid start's body. Pure: no sockets, no chain.

- initializeCompute (unsigned) carries `payment {chainId, token, resources}` and `maxJobDuration`;
  each DDO-backed dataset or algorithm may carry the `transferTxId` of an earlier order, which the
  node reports back as `validOrder` when it still holds.
- Its answer has one order item per dataset, one for the algorithm (`{"validOrder": false}` for a raw
  one: nothing to order) and the Escrow `payment` block.
- The paid start (POST compute, signed `startCompute`) is the free start's body plus
  `payment {chainId, token}` and the orders' `transferTxId`s.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from c2d_runner.ocean.messages import order_item
from c2d_runner.ocean.records import EscrowPayment, InitializeResult
from c2d_runner.wire import bounded_int

_WEI_LIMIT = 10**40  # amounts and seconds from the node, bounded before any arithmetic


def with_order(entry: Mapping[str, Any], transfer_tx_id: str | None) -> dict[str, Any]:
    """A datasets[] or algorithm entry carrying an order's transaction (unchanged without one)."""
    out = dict(entry)
    if transfer_tx_id:
        out["transferTxId"] = transfer_tx_id
    return out


def payment_option(choice: Any) -> dict[str, Any]:
    """`{chainId, token}`: the chain and fee token of a paid Choice (its cheapest price)."""
    if choice.price is None:
        raise ValueError(f"environment {choice.env.id} has no price to pay in")
    return {"chainId": int(choice.price.chain_id), "token": choice.price.fee_token}


def resources_list(choice: Any) -> list[dict[str, Any]]:
    """The Choice's resources as the node's `[{id, amount}]`."""
    return [{"id": rid, "amount": amount} for rid, amount in choice.resources]


def initialize_body(choice: Any, algorithm: Mapping[str, Any], datasets: Sequence[Mapping[str, Any]],
                    consumer_address: str) -> dict[str, Any]:
    """initializeCompute's body for a paid Choice (entries carry transferTxIds already, if any)."""
    body: dict[str, Any] = {
        "datasets": [dict(d) for d in datasets],
        "algorithm": dict(algorithm),
        "environment": choice.env.id,
        "payment": {**payment_option(choice), "resources": resources_list(choice)},
        "consumerAddress": consumer_address,
    }
    if choice.duration:
        body["maxJobDuration"] = int(choice.duration)
    return body


def paid_start_body(choice: Any, algorithm: Mapping[str, Any], datasets: Sequence[Mapping[str, Any]],
                    queue_max_wait: float | None = None, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The paid start's body without its signature fields: the free body plus `payment`.

    The node requires `maxJobDuration` > 0 here, so the Choice's duration must be known.
    """
    from c2d_runner.ocean.node.compute import free_start_body

    if not choice.duration:
        raise ValueError(f"environment {choice.env.id} announces no maxJobDuration: a paid start needs one")
    return {**free_start_body(choice, algorithm, datasets, queue_max_wait, metadata), "payment": payment_option(choice)}


def parse_paid_initialize(body: Any, n_datasets: int) -> InitializeResult:
    """initializeCompute's paid answer as an InitializeResult with its Escrow payment; ValueError when
    it is not one (no datasets list, a count that differs, no usable payment block)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("datasets"), list):
        raise ValueError("initializeCompute answer has no 'datasets' list")
    datasets = tuple(order_item(d) for d in body["datasets"])
    if len(datasets) != n_datasets:
        raise ValueError(f"initializeCompute answered {len(datasets)} dataset items for {n_datasets} datasets")
    algorithm = body.get("algorithm")
    ordered = isinstance(algorithm, Mapping) and (algorithm.get("datatoken") or algorithm.get("providerFee"))
    return InitializeResult(datasets, order_item(algorithm) if ordered else None, raw=dict(body),
                            payment=parse_payment(body.get("payment")))


def parse_payment(block: Any) -> EscrowPayment:
    """The `payment` block; ValueError when a field is missing or not a number where one is needed."""
    if not isinstance(block, Mapping):
        raise ValueError("initializeCompute answer has no 'payment' block")
    numbers = {key: bounded_int(block.get(key), _WEI_LIMIT) for key in ("chainId", "amount", "minLockSeconds")}
    texts = {key: block.get(key) for key in ("escrowAddress", "payee", "token")}
    bad = [k for k, v in numbers.items() if v is None or v < 0] + [k for k, v in texts.items()
                                                                   if not (isinstance(v, str) and v.startswith("0x"))]
    if bad:
        raise ValueError(f"initializeCompute's payment block has no usable {', '.join(bad)}: {dict(block)}")
    return EscrowPayment(texts["escrowAddress"], texts["payee"], numbers["chainId"], texts["token"],
                         numbers["amount"], numbers["minLockSeconds"])


__all__ = ["with_order", "payment_option", "initialize_body", "paid_start_body", "parse_paid_initialize",
           "parse_payment"]
