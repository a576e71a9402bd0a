"""`ChainPayer`: the consumer pays for compute inputs on a chain, over JSON-RPC, with its own wallet.

For each initializeCompute item: an order the provider still accepts as is (`validOrder` without a
fee) is used as it stands; an order whose fee ran out is renewed with `reuseOrder`; anything else
gets a new `startOrder` with the provider's fee (c2d_runner.ocean.orders). On an Ocean Node's paid
environment it also makes the Escrow cover the job (c2d_runner.ocean.escrow). web3 is imported here,
when a payer is made, never on the chain-free path.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from c2d_runner import exitcodes
from c2d_runner.errors import InfrastructureFailure, JobFailure
from c2d_runner.ocean.errors import OceanError
from c2d_runner.ocean.orders import ProviderFee, reuse_order, start_order

if TYPE_CHECKING:
    from c2d_runner.ocean.escrow import EscrowFunding, EscrowTx
    from c2d_runner.ocean.records import EscrowPayment


class ChainMismatch(OceanError):
    """The chain at the RPC URL is not the chain of the assets (wrong --rpc or chain id); nothing was sent."""

    exit_code = exitcodes.INVALID


class OrderReverted(OceanError, JobFailure):
    """An order's transaction reverted on chain (the contract's reason in the message)."""


class ChainUnreachable(OceanError, InfrastructureFailure):
    """The chain's JSON-RPC stopped answering while paying (exit 3, like a provider that does not answer)."""

    exit_code = exitcodes.INFRASTRUCTURE  # OceanError's own code would come first


def _as_client_errors(pay):
    """The chain's errors as the client's (OceanError), which the run reports as the job's failure."""
    @functools.wraps(pay)
    def paying(*args: Any, **kwargs: Any) -> Any:
        from c2d_runner.chain.rpc import RpcUnavailable
        from c2d_runner.chain.tx import TransactionReverted

        try:
            return pay(*args, **kwargs)
        except TransactionReverted as exc:
            raise OrderReverted(str(exc)) from None
        except RpcUnavailable as exc:
            raise ChainUnreachable(str(exc)) from None
    return paying


@dataclass(frozen=True)
class Payment:
    """One order a compute input was paid with: how (start, reuse, valid), its tx, the fee paid."""

    did: str
    service_id: str
    datatoken: str
    how: str  # "startOrder", "reuseOrder" or "validOrder" (an earlier order still valid: nothing paid)
    tx: str
    fee_token: str | None
    fee_amount: int


def service_index(ddo: Any, service: Any) -> int:
    """The position of `service` among the DDO's services (what OrderStarted's serviceIndex records)."""
    return next(i for i, s in enumerate(ddo.services) if s.id == service.id)


class ChainPayer:
    """Places orders from `wallet` on the chain at `rpc` (chain id checked against `chain_id`)."""

    def __init__(self, rpc: str, wallet: Any, chain_id: int | None = None):
        from c2d_runner.chain.rpc import http_web3, rpc_label

        self.w3 = http_web3(rpc)  # an RPC that does not answer: RpcUnavailable (exit 3)
        if not hasattr(wallet, "sign_transaction"):  # the runner's light KeyWallet: the same key, as an Account
            from eth_account import Account

            wallet = Account.from_key(wallet.key)
        self.wallet = wallet
        self.rpc = rpc
        self.chain_id = int(self.w3.eth.chain_id)
        self.addresses: Any = None  # Ocean's contracts on this chain (a NetworkAddresses), set by whoever knows them
        # One transaction at a time from the wallet: jobs paying in parallel would read the same
        # pending nonce and the second transaction would be refused.
        self._sending = threading.Lock()
        self._symbols: dict[str, str | None] = {}  # token address -> symbol() (None: it has none)
        if chain_id is not None and self.chain_id != int(chain_id):
            raise ChainMismatch(f"the chain at {rpc_label(rpc)} has chain id {self.chain_id}, but the assets are on "
                                f"chain {chain_id}: give the RPC of chain {chain_id} (or the right chain_id)")

    @_as_client_errors
    def pay(self, item: Any, compute_input: Any, consumer: str | None = None) -> Payment:
        """Pay for one input given its initializeCompute `item` (an OrderItem); the Payment (see `_pay`)."""
        with self._sending:
            return self._pay(item, compute_input, consumer)

    def _pay(self, item: Any, compute_input: Any, consumer: str | None = None) -> Payment:
        """Place the order (approve, startOrder or reuseOrder) an item asks for.

        `consumer` is the order's consumer: by default the item's `consumerAddress` (an Ocean Node's
        environment address), else the wallet's address; the wallet always pays.
        """
        fee = ProviderFee.from_wire(item.provider_fee) if item.provider_fee else None
        did, sid = compute_input.did, compute_input.service.id
        datatoken = item.datatoken or compute_input.service.datatoken
        if item.reusable:
            return Payment(did, sid, datatoken, "validOrder", item.valid_order, None, 0)
        if fee is None:
            raise OceanError(f"{did} (service {sid}): the provider gave neither a valid order nor a provider fee")
        paid = fee.provider_fee_amount if fee.charged else 0
        if item.valid_order:
            tx = reuse_order(self.w3, self.wallet, datatoken, item.valid_order, fee)
            return Payment(did, sid, datatoken, "reuseOrder", tx, fee.provider_fee_token, paid)
        index = service_index(compute_input.ddo, compute_input.service)
        consumer = consumer or item.consumer_address or self.wallet.address
        tx = start_order(self.w3, self.wallet, datatoken, consumer, index, fee)
        return Payment(did, sid, datatoken, "startOrder", tx, fee.provider_fee_token, paid)

    @_as_client_errors
    def order_gas(self, item: Any, compute_input: Any, consumer: str | None = None) -> Any:
        """The gas `pay` would spend on this input (a GasEstimate), nothing sent: estimated where the
        chain can dry-run the call now, a typical figure where it cannot (an order after its approve,
        or one that would revert: `pay` says why)."""
        from c2d_runner.chain.tx import TransactionReverted
        from c2d_runner.ocean.funds import TYPICAL_GAS, GasEstimate, order_gas
        from c2d_runner.ocean.orders import approve_call, reuse_order_call, start_order_call

        if item.reusable or not item.provider_fee:
            return GasEstimate(0, True)
        fee = ProviderFee.from_wire(item.provider_fee)
        datatoken = item.datatoken or compute_input.service.datatoken
        if item.valid_order:
            call = reuse_order_call(self.w3, datatoken, item.valid_order, fee)
        else:
            call = start_order_call(self.w3, datatoken, consumer or item.consumer_address or self.wallet.address,
                                    service_index(compute_input.ddo, compute_input.service), fee)
        approve = approve_call(self.w3, datatoken, fee)
        try:
            return order_gas(self.wallet.address, call, approve)
        except TransactionReverted:
            typical = TYPICAL_GAS["approve"] * (approve is not None) + TYPICAL_GAS[call.fn_name]
            return GasEstimate(typical, False)

    @_as_client_errors
    def shortfalls(self, tokens: dict[str, int], gas_cost: int = 0, datatokens: frozenset[str] = frozenset()) -> list[str]:
        """What the paying account lacks for `tokens` (address -> wei; `datatokens` among them) and
        `gas_cost` wei of the native coin, one line each; [] when it holds all of it."""
        from c2d_runner.ocean.funds import run_shortfalls

        return run_shortfalls(self.w3, self.wallet.address, tokens, gas_cost, datatokens)

    @_as_client_errors
    def symbols(self, tokens: Any) -> dict[str, str]:
        """{address: symbol} of these ERC20 tokens, each asked once (`symbol()`) and kept; a token whose
        symbol() fails is left out (callers name it by its address)."""
        from c2d_runner.chain.artifacts import abi
        from c2d_runner.ocean.funds import token_symbol

        for address in set(tokens) - set(self._symbols):
            self._symbols[address] = token_symbol(self.w3.eth.contract(address=address, abi=abi("OceanToken")))
        return {a: self._symbols[a] for a in tokens if self._symbols.get(a)}

    @_as_client_errors
    def gas_price(self) -> int:
        """The chain's gas price (eth_gasPrice), wei per gas."""
        return int(self.w3.eth.gas_price)

    @_as_client_errors
    def escrow_gas(self, payment: EscrowPayment) -> tuple[tuple[str, ...], Any]:
        """The Escrow transactions covering one job would send now (approve, deposit, authorize: only
        those missing) and their gas (a GasEstimate); nothing sent."""
        from c2d_runner.ocean.escrow import escrow_gas, read_escrow

        self._check_chain(payment)
        state = read_escrow(self.w3, self.wallet.address, payment)
        return tuple(step for step, *_ in state.steps), escrow_gas(state, self.wallet.address)

    @_as_client_errors
    def cover_escrow(self, payment: EscrowPayment, on_tx: Callable[[EscrowTx], None] | None = None) -> EscrowFunding:
        """Make the node's Escrow cover one job (deposit the shortfall, authorize the node as needed)."""
        from c2d_runner.ocean.escrow import cover_escrow

        self._check_chain(payment)
        with self._sending:
            return cover_escrow(self.w3, self.wallet, payment, on_tx)

    def _check_chain(self, payment: EscrowPayment) -> None:
        """Raise ChainMismatch when the node asks for payment on another chain than this RPC's."""
        from c2d_runner.chain.rpc import rpc_label

        if int(payment.chain_id) != self.chain_id:
            raise ChainMismatch(f"the node asks for payment on chain {payment.chain_id}, but the chain at "
                                f"{rpc_label(self.rpc)} has chain id {self.chain_id}; nothing was sent")


__all__ = ["ChainMismatch", "OrderReverted", "ChainUnreachable", "Payment", "ChainPayer", "service_index"]
