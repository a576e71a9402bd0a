"""The local chain's well-known TEST accounts: published throwaway keys, funded only on the local chain.

Never real keys and never to hold funds anywhere: they are the Hardhat/Anvil dev keys the mock
already uses (wire.py) plus the deployer key of Ocean's chain prototype.
"""
from __future__ import annotations

from c2d_runner.wire import TEST_CONSUMER_KEY, TEST_PROVIDER_KEY

# Deploys Ocean's contracts and owns them (owner = OPF owner = router owner, as on barge's
# `development` network); publishes the mock world's assets. Fixed, so addresses are deterministic.
TEST_DEPLOYER_KEY = "0x" + "11" * 32
# A second consumer, for tests where someone else's order must be refused.
TEST_OTHER_CONSUMER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # Hardhat #2

TEST_KEYS = {
    "deployer": TEST_DEPLOYER_KEY,
    "consumer": TEST_CONSUMER_KEY,
    "provider": TEST_PROVIDER_KEY,
    "other-consumer": TEST_OTHER_CONSUMER_KEY,
}

# Each TEST account starts with this much ETH for gas (10,000 ETH in wei).
TEST_ETH = 10_000 * 10**18
# The deployer mints this much OCEAN at deploy (deploy-contracts.js mints 1e6 on development).
TEST_OCEAN_SUPPLY = 1_000_000 * 10**18


def known_account(role: str):
    """The eth-account LocalAccount of a TEST role ('deployer', 'consumer', 'provider', 'other-consumer')."""
    from eth_account import Account

    return Account.from_key(TEST_KEYS[role])


__all__ = ["TEST_DEPLOYER_KEY", "TEST_OTHER_CONSUMER_KEY", "TEST_KEYS", "TEST_ETH", "TEST_OCEAN_SUPPLY",
           "known_account"]
