"""The semantic checks run on schema-refused documents too: any shape must give diagnostics, never a crash."""
import json

import pytest

from c2d_runner.spec import check_file

from .corpus import AL, CK, DS

RICH = {
    "version": 1, "name": "t", "target": {"mock": "world.yaml", "faults": "flaky", "seed": 1},
    "consumer": {"key": "${C2D_KEY}"},
    "defaults": {"timeout": "1m", "environment": "free"},
    "jobs": {
        "j": {
            "dataset": {"did": DS, "userdata": {"a": 1}},
            "additional_datasets": [{"did": DS, "userdata": {"b": 2}}],
            "algorithm": {"raw": {"file": "algo.py", "container": {"entrypoint": "python $ALGO", "image": "python",
                                                                    "tag": "3.11", "checksum": CK}}},
            "algocustomdata": {"n": 1},
            "timeout": "30s",
            "matrix": {"algocustomdata.n": [1, 2]},
            "expect": {"status": "finished", "duration": {"max": "10s"},
                       "outputs": [{"name": "out.json", "size": {"min": 1, "max": 9}, "json": {"x": {"min": 0, "max": 1}}}],
                       "logs": {"contains": "done"}},
        },
        "k": {"dataset": {"did": DS}, "algorithm": {"did": AL}},
    },
}
SHAPES = [None, True, -1.5, "x", [1, "a"], {"min": "a", "max": []}]


def paths(value, here=()):
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, here + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, here + (i,))


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("path", [p for p in paths(RICH) if p], ids=lambda p: ".".join(map(str, p)))
def test_every_shape_at_every_place_gives_diagnostics_not_a_crash(tmp_path, path):
    (tmp_path / "world.yaml").write_text("version: 1\n")
    (tmp_path / "algo.py").write_text("print('hi')\n")
    for shape in SHAPES:
        spec = tmp_path / "spec.yaml"
        spec.write_text(json.dumps(replaced(RICH, path, shape)))  # JSON is YAML
        plan, problems = check_file(spec, env={"C2D_KEY": "0x" + "1" * 64})
        assert plan is not None or problems, (path, shape)


def test_the_rich_spec_itself_is_valid(tmp_path):
    (tmp_path / "world.yaml").write_text("version: 1\n")
    (tmp_path / "algo.py").write_text("print('hi')\n")
    (tmp_path / "spec.yaml").write_text(json.dumps(RICH))
    plan, problems = check_file(tmp_path / "spec.yaml")
    assert problems == [] and len(plan.jobs) == 3
