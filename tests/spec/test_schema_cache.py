"""The compiled schema validator: cached on disk, and a broken or unwritable cache only costs a compile."""
from __future__ import annotations

import pytest

from c2d_runner.yamldoc import schema

HELLO = {"version": 1, "name": "hello", "jobs": {"j": {"dataset": {"did": "did:op:" + "a" * 64},
                                                          "algorithm": {"did": "did:op:" + "b" * 64}}}}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("C2D_CACHE_DIR", str(tmp_path / "cache"))
    schema.compiled_validator.cache_clear()
    yield tmp_path / "cache"
    schema.compiled_validator.cache_clear()


def test_compiled_validator_is_cached_and_reused(cache):
    assert schema.schema_ok(HELLO, "spec")
    [stored] = cache.glob("spec-schema-*.marshal")
    schema.compiled_validator.cache_clear()
    assert schema.schema_ok(HELLO, "spec") and not schema.schema_ok({**HELLO, "version": 2}, "spec")
    assert list(cache.glob("spec-schema-*.marshal")) == [stored]


def test_a_corrupt_cache_file_is_replaced(cache):
    schema.schema_ok(HELLO, "spec")
    [stored] = cache.glob("spec-schema-*.marshal")
    stored.write_bytes(b"not marshal data")
    schema.compiled_validator.cache_clear()
    assert schema.schema_ok(HELLO, "spec")
    assert stored.read_bytes() != b"not marshal data"


def test_an_unwritable_cache_only_costs_a_compile(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("C2D_CACHE_DIR", str(blocker / "cache"))
    schema.compiled_validator.cache_clear()
    try:
        assert schema.schema_ok(HELLO, "spec")
    finally:
        schema.compiled_validator.cache_clear()


def test_schema_problems_still_come_from_jsonschema(cache):
    from c2d_runner.yamldoc.yamlpos import Positions

    [problem] = schema.check_schema({**HELLO, "version": 2}, Positions(), "spec", "s.yaml")
    assert "must be 1" in problem.message
