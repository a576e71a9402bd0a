"""A sweep on the mock's Provider protocol shares its orders: one initializeCompute per distinct set
of inputs (jobs one at a time), one per job with --no-order-reuse."""
import pytest

from c2d_runner.wire import TEST_CONSUMER_KEY
from mockprovider import MockOcean

from .conftest import raw_job, write_spec
from .test_run import c2d


MATRIX = "    algocustomdata: {n: 0}\n    matrix:\n      algocustomdata.n: [0, 1, 2]\n"


def _sweep(tmp_path, world, url: str) -> str:
    raw = raw_job(world.table, "print('x')", extra=MATRIX)
    stats = f"    dataset: {{did: \"{world.table}\"}}\n    algorithm: {{did: \"{world.stats}\"}}\n" + MATRIX
    return write_spec(tmp_path, "sweep", "  raw:\n" + raw + "  stats:\n" + stats,
                      target=f"{{provider: '{url}', chain_id: 8996}}", extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")


@pytest.mark.parametrize("options, initializes", [((), 2), (("--no-order-reuse",), 6)])
def test_a_sweep_initializes_once_per_distinct_input_set(tmp_path, world, monkeypatch, options, initializes):
    monkeypatch.setenv("C2D_PRIVATE_KEY", TEST_CONSUMER_KEY)
    with MockOcean(world=world.path, state_dir=tmp_path / "mock-state") as mock:
        result = c2d("run", _sweep(tmp_path, world, mock.url), "--jobs", "1", *options, cwd=tmp_path)
        assert result.exit_code == 0, result.output
        routes = mock.requests_by_route
        assert routes["initializeCompute"] == initializes
        assert routes["computeStart"] == 6


def test_a_start_refusing_an_expired_shared_order_orders_again_once(tmp_path, world, monkeypatch):
    import json

    from c2d_runner.engine.orderbook import OrderBook

    monkeypatch.setenv("C2D_PRIVATE_KEY", TEST_CONSUMER_KEY)
    usable = OrderBook.usable
    with MockOcean(world=world.path, state_dir=tmp_path / "mock-state") as mock:
        def expiring(book, key, lent_ok=True):
            found = usable(book, key, lent_ok)
            if found:  # the provider's clock is past the order's end, the run's book is not
                with mock._state.store._tx() as db:
                    db.execute("UPDATE orders SET valid_until = 1")
            return found

        monkeypatch.setattr(OrderBook, "usable", expiring)
        spec = write_spec(tmp_path, "sweep", "  raw:\n" + raw_job(world.table, "print('x')", extra=MATRIX),
                          target=f"{{provider: '{mock.url}', chain_id: 8996}}",
                          extra="consumer: {key: '${C2D_PRIVATE_KEY}'}\n")
        result = c2d("run", spec, "--jobs", "1", "--only", "raw[n=0]", "--only", "raw[n=1]", cwd=tmp_path)
        assert result.exit_code == 0, result.output
        routes = mock.requests_by_route
        assert routes["initializeCompute"] == 2 and routes["computeStart"] == 3  # one start refused
    [journal] = [p for p in (tmp_path / "runs" / "sweep").glob("*/journal.jsonl") if not p.parent.is_symlink()]
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    [refused] = [e for e in events if e["event"] == "shared_refused"]
    assert refused["job"] == "raw[n=1]" and "order_invalid" in refused["error"]
    assert len([e for e in events if e["event"] == "started"]) == 2
