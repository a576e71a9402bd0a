"""The payer's side of the Escrow (c2d_runner.ocean.escrow) on the local chain: only what is missing is
sent, funds already there are used, an authorization that still holds is kept, and a second cover
for the same job deposits nothing (Deposit events counted on chain)."""
from __future__ import annotations

import pytest

from c2d_runner.ocean.escrow import Authorization, EscrowNeeds, escrow_needs
from c2d_runner.ocean.records import EscrowPayment

WEI = 10**18
PAYEE = "0x" + "ab" * 20


def _payment(amount: int = 2 * WEI, seconds: int = 3690, token: str = "0x" + "0c" * 20) -> EscrowPayment:
    return EscrowPayment("0x" + "e5" * 20, PAYEE, 8996, token, amount, seconds)


# -- the pure rule ----------------------------------------------------------------------------------
def test_an_empty_escrow_needs_the_whole_amount_and_an_authorization():
    assert escrow_needs(_payment(), 0, None) == EscrowNeeds(2 * WEI, (2 * WEI, 3690, 1))


def test_funds_already_there_are_used_and_only_the_shortfall_deposited():
    assert escrow_needs(_payment(), WEI // 2, None).deposit == WEI + WEI // 2
    assert escrow_needs(_payment(), 5 * WEI, None).deposit == 0


def test_an_authorization_that_allows_one_more_lock_is_kept():
    auth = Authorization(max_locked_amount=10 * WEI, current_locked_amount=3 * WEI, max_lock_seconds=7200,
                         max_lock_counts=5, current_locks=2)
    assert escrow_needs(_payment(), 2 * WEI, auth) == EscrowNeeds(0, None)


@pytest.mark.parametrize("auth, expected", [
    # room for the amount is short: raised to what is locked plus this job
    (Authorization(3 * WEI, 2 * WEI, 7200, 5, 1), (4 * WEI, 7200, 5)),
    # seconds too low: raised to the node's minimum, the rest kept
    (Authorization(10 * WEI, 0, 60, 5, 0), (10 * WEI, 3690, 5)),
    # every lock allowed is taken: one more
    (Authorization(10 * WEI, 2 * WEI, 7200, 1, 1), (10 * WEI, 7200, 2)),
])
def test_a_short_authorization_is_widened_never_narrowed(auth, expected):
    assert escrow_needs(_payment(), 2 * WEI, auth).authorize == expected


# -- on the local chain ------------------------------------------------------------------------------
@pytest.fixture
def escrow(chain):
    """(chain, the Escrow contract, the consumer account, a payment for the provider's address in OCEAN)."""
    from c2d_runner.chain.accounts import known_account

    payee = known_account("provider").address
    payment = EscrowPayment(chain.addresses["Escrow"], payee, chain.chain_id, chain.addresses["Ocean"], 2 * WEI, 3690)
    return chain, chain.deployed("Escrow"), known_account("consumer"), payment


def _deposits(contract, payer: str) -> list[int]:
    return [e["args"]["amount"] for e in contract.events.Deposit().get_logs(from_block=0)
            if e["args"]["payer"] == payer]


def test_cover_deposits_approves_and_authorizes_once_then_nothing(escrow):
    from c2d_runner.ocean.escrow import cover_escrow

    chain, contract, consumer, payment = escrow
    seen = []
    first = cover_escrow(chain.w3, consumer, payment, seen.append)
    assert [t.step for t in first.txs] == ["approve", "deposit", "authorize"] and list(first.txs) == seen
    assert first.deposited == 2 * WEI and first.available == 0 and first.authorization == (2 * WEI, 3690, 1)
    assert all(t.tx.startswith("0x") and len(t.tx) == 66 for t in first.txs)
    assert contract.functions.getUserFunds(consumer.address, payment.token).call()[0] == 2 * WEI
    again = cover_escrow(chain.w3, consumer, payment)  # a resumed run: the funds and the authorization hold
    assert again.txs == () and again.deposited == 0 and again.available == 2 * WEI
    assert _deposits(contract, consumer.address) == [2 * WEI]


def test_cover_tops_up_a_partial_deposit_and_keeps_a_wide_authorization(escrow):
    from c2d_runner.chain.artifacts import abi
    from c2d_runner.chain.tx import send
    from c2d_runner.ocean.escrow import cover_escrow

    chain, contract, consumer, payment = escrow
    ocean = chain.w3.eth.contract(address=payment.token, abi=abi("OceanToken"))
    send(chain.w3, consumer, ocean.functions.approve(payment.escrow_address, WEI // 2), "approve")
    send(chain.w3, consumer, contract.functions.deposit(payment.token, WEI // 2), "deposit")
    send(chain.w3, consumer, contract.functions.authorize(payment.token, payment.payee, 50 * WEI, 86400, 10), "auth")
    funding = cover_escrow(chain.w3, consumer, payment)
    assert [t.step for t in funding.txs] == ["approve", "deposit"] and funding.authorization is None
    assert funding.deposited == WEI + WEI // 2
    assert _deposits(contract, consumer.address) == [WEI // 2, WEI + WEI // 2]


def test_after_the_node_locked_one_job_the_next_job_is_covered_again(escrow):
    """Two jobs in a row: the node's lock took the first job's funds and one lock count."""
    from c2d_runner.chain.accounts import known_account
    from c2d_runner.chain.tx import send
    from c2d_runner.ocean.escrow import cover_escrow, read_authorization

    chain, contract, consumer, payment = escrow
    cover_escrow(chain.w3, consumer, payment)
    node = known_account("provider")
    send(chain.w3, node, contract.functions.createLock(7, payment.token, consumer.address, payment.amount, 3690),
         "createLock")
    second = cover_escrow(chain.w3, consumer, payment)
    assert second.available == 0 and second.deposited == 2 * WEI
    assert second.authorization == (4 * WEI, 3690, 2)
    auth = read_authorization(contract, payment.token, consumer.address, payment.payee)
    assert auth == Authorization(4 * WEI, 2 * WEI, 3690, 2, 1)
    send(chain.w3, node, contract.functions.createLock(8, payment.token, consumer.address, payment.amount, 3690),
         "the node's second lock passes its checks")


def test_too_little_of_the_token_is_refused_before_sending_anything(escrow):
    from c2d_runner.chain.accounts import known_account
    from c2d_runner.ocean.escrow import EscrowUnderfunded, cover_escrow

    chain, contract, _, payment = escrow
    poor = known_account("other-consumer")
    ocean_balance = chain.deployed("Ocean").functions.balanceOf(poor.address).call()
    big = payment.__class__(**{**payment.__dict__, "amount": ocean_balance + WEI})
    nonce = chain.w3.eth.get_transaction_count(poor.address)
    said = (rf"^the Escrow needs {ocean_balance // WEI + 1} more OCEAN \({payment.token}\) for this job "
            rf"\(.* locked at start, 0 there\), the consumer {poor.address} has {ocean_balance // WEI}; "
            "nothing was sent$")
    with pytest.raises(EscrowUnderfunded, match=said):
        cover_escrow(chain.w3, poor, big)
    assert chain.w3.eth.get_transaction_count(poor.address) == nonce


# -- the gas of the Escrow's transactions -------------------------------------------------------------
def test_the_gas_of_what_an_empty_escrow_needs_is_estimated_and_typical_for_the_deposit(escrow):
    from c2d_runner.ocean.escrow import cover_escrow, escrow_gas, read_escrow
    from c2d_runner.ocean.funds import TYPICAL_GAS

    chain, contract, consumer, payment = escrow
    state = read_escrow(chain.w3, consumer.address, payment)
    assert [step for step, *_ in state.steps] == ["approve", "deposit", "authorize"]
    gas = escrow_gas(state, consumer.address)
    approve, authorize = (call.estimate_gas({"from": consumer.address}) for step, call, *_ in state.steps
                          if step != "deposit")
    # the deposit pulls the tokens through the approve's allowance: it cannot be estimated before it
    assert gas.gas == approve + TYPICAL_GAS["deposit"] + authorize and not gas.estimated
    cover_escrow(chain.w3, consumer, payment)
    after = read_escrow(chain.w3, consumer.address, payment)
    assert after.steps == () and escrow_gas(after, consumer.address).gas == 0


def test_the_escrow_needs_gas_money_before_anything_is_sent(escrow):
    """An account with OCEAN but none of the native coin: refused with both amounts, nothing sent."""
    from eth_account import Account

    from c2d_runner.chain.tx import send
    from c2d_runner.ocean.escrow import cover_escrow
    from c2d_runner.ocean.funds import NotEnoughGas

    chain, contract, consumer, payment = escrow
    poor = Account.create()
    send(chain.w3, consumer, chain.deployed("Ocean").functions.transfer(poor.address, 5 * WEI), "giving OCEAN")
    with pytest.raises(NotEnoughGas) as raised:
        cover_escrow(chain.w3, poor, payment)
    assert str(raised.value).startswith("the gas of the Escrow's approve, deposit, authorize needs 0.000")
    assert " gas at up to " in str(raised.value)
    assert str(raised.value).endswith(f"the consumer {poor.address} has 0; nothing was sent")
    assert chain.w3.eth.get_transaction_count(poor.address) == 0
    assert contract.functions.getUserFunds(poor.address, payment.token).call()[0] == 0
