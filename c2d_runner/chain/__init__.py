"""A local Ocean chain: Ocean's real contracts on an in-process chain, for offline paid compute.

Opt-in: it needs the `chain` extra (`pip install 'c2d-runner[chain]'`: web3[tester] and the
`ocean-contracts` wheel). Nothing here is imported on the chain-free path, and each module imports
web3 / eth-tester inside its functions, so importing the package itself costs nothing.

One job per module:
- `artifacts`: Ocean's compiled contracts, read from the installed `ocean-contracts` wheel;
- `accounts`: the well-known TEST accounts the local chain funds (never real keys);
- `deploy`: Ocean's deploy sequence (deploy-contracts.js, development network) plus the Escrow;
- `statecache`: the post-deploy chain state on disk, so a boot takes milliseconds;
- `local`: `LocalChain`, the booted chain (web3 + eth-tester behind one lock);
- `bridge`: a loopback JSON-RPC endpoint serving a LocalChain to other processes;
- `tx`: sending a contract call as a signed transaction, reverts as one error type.

The mock (which verifies payments) and the client (which pays) both use these: they are chain
plumbing, not protocol rules, so neither side's checks live here.
"""
