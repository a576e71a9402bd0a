"""Where a run happens: the embedded mock Ocean (started here) or a real Provider + Aquarius."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from c2d_runner.spec.model import KeySource, MockTarget, RemoteTarget, Target


class TargetError(Exception):
    """The target cannot be used (bad --target value, mock world invalid, unreachable)."""


@dataclass(frozen=True)
class Connection:
    """Base URLs of a live target."""

    provider: str
    aquarius: str
    chain_id: int
    description: str
    embedded_mock: bool = False


def parse_target(value: str, chain_id: int | None = None) -> Target:
    """A --target value: 'mock', 'mock:WORLD.yaml', or 'PROVIDER_URL[,AQUARIUS_URL]'."""
    if value == "mock":
        return MockTarget()
    if value.startswith("mock:"):
        world = Path(value[5:]).expanduser()
        if not world.is_file():
            raise TargetError(f"mock world file {world} not found")
        return MockTarget(world=world.resolve())
    parts = [p.strip().rstrip("/") for p in value.split(",")]
    if len(parts) > 2 or not all(p.startswith(("http://", "https://")) for p in parts):
        raise TargetError(f"--target must be 'mock', 'mock:WORLD.yaml' or 'PROVIDER_URL[,AQUARIUS_URL]', "
                          f"got {value!r}")
    if chain_id is None:
        raise TargetError("a provider target needs --chain-id (the chain of the assets)")
    return RemoteTarget(provider=parts[0], aquarius=parts[-1], chain_id=chain_id)


@contextlib.contextmanager
def open_target(target: Target, mock_state: Path | None = None) -> Iterator[Connection]:
    """Yield a Connection; an embedded mock is started here (state kept in `mock_state`) and stopped after."""
    if isinstance(target, RemoteTarget):
        yield Connection(target.provider, target.aquarius, target.chain_id, target.describe())
        return
    from mockprovider import MockOcean, WorldInvalid

    try:
        mock = MockOcean(world=target.world, state_dir=mock_state, faults=target.faults, seed=target.seed)
    except WorldInvalid as exc:
        raise TargetError(str(exc)) from None
    except (KeyError, ValueError) as exc:  # e.g. an unknown fault profile name
        raise TargetError(f"cannot start the mock Ocean: {exc}") from None
    with mock:
        yield Connection(mock.url, mock.url, mock.chain_id, target.describe(), embedded_mock=True)


def consumer_wallet(source: KeySource, target: Target):
    """The consumer's LocalAccount: from the environment, a key file, or the mock's test key."""
    from c2d_runner.ocean import wallet_from_env, wallet_from_key_file
    from c2d_runner.ocean.wallet import wallet_from_key

    if source.env:
        return wallet_from_env(source.env, light=True)
    if source.file:
        return wallet_from_key_file(source.file, light=True)
    if isinstance(target, RemoteTarget):
        raise TargetError("a real provider needs a consumer key: set consumer.key in the spec")
    from c2d_runner.wire import TEST_CONSUMER_KEY

    return wallet_from_key(TEST_CONSUMER_KEY, "the mock's well-known test key", light=True)
