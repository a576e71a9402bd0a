"""Semantic checks a JSON Schema cannot express; each returns diagnostics.

They also run on documents the schema refused (so a user sees every problem at once), so each
check looks at the shape of what it reads and skips a part whose shape is wrong: the schema has
already said what is wrong with it. A check that raises is a bug, and is left to show as one.
"""
from __future__ import annotations

import re

from c2d_runner.yamldoc.diagnostics import Diagnostic
from c2d_runner.yamldoc.documents import LoadedDocument
from c2d_runner.spec.durations import parse_duration

KEY_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_HEX_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_SECRET_NAME = re.compile(r"(private.?key|secret|mnemonic|^key$)", re.IGNORECASE)
MATRIX_ROOTS = ("algocustomdata", "dataset", "additional_datasets", "algorithm", "environment", "timeout", "resources")
MAX_MATRIX_JOBS = 10_000
_INLINE_KEY = ("a private key is inlined in the spec; keys never sit in a spec file: export it and write "
               "'key: ${C2D_PRIVATE_KEY}', or use key_file")


def check_spec(doc: LoadedDocument) -> list[Diagnostic]:
    """All semantic problems of a spec (parts whose shape the schema refused are skipped)."""
    data = _mapping(doc.data)
    defaults = _mapping(data.get("defaults"))
    problems = _check_consumer(doc, data)
    problems += _check_target(doc, data)
    if "timeout" in defaults:
        problems += _check_duration(doc, ("defaults", "timeout"), defaults["timeout"])
    folded: dict[str, str] = {}
    for name, job in _mapping(data.get("jobs")).items():
        other = folded.setdefault(str(name).lower(), name)
        if other != name:
            problems.append(doc.diagnostic(("jobs", name), f"job {name!r} differs from {other!r} only by case; "
                                           "their run folders would clash on some systems", key=True))
        if isinstance(job, dict):
            problems += _check_job(doc, name, job, defaults)
    return problems


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _inverted(low, high) -> bool:
    """True when both bounds are numbers and low > high (other shapes are the schema's to report)."""
    return _number(low) and _number(high) and low > high


def _check_consumer(doc: LoadedDocument, data: dict) -> list[Diagnostic]:
    consumer = _mapping(data.get("consumer"))
    out = []
    key = consumer.get("key")
    if isinstance(key, str) and not KEY_REF.match(key):
        looks_like_key = _HEX_KEY.match(key.strip())
        message = _INLINE_KEY if looks_like_key else (
            "consumer.key must be exactly '${VARIABLE}', the environment variable holding the private key")
        out.append(doc.diagnostic(("consumer", "key"), message))
    if key is not None and "key_file" in consumer:
        out.append(doc.diagnostic(("consumer", "key_file"), "give consumer.key or consumer.key_file, not both", key=True))
    target = data.get("target", "mock")
    if isinstance(target, dict) and "provider" in target and key is None and "key_file" not in consumer:
        out.append(doc.diagnostic(("target",), "a real Ocean Node or Provider needs a consumer key: add "
                                  "'consumer: {key: ${C2D_PRIVATE_KEY}}' (or key_file)"))
    return out


def _check_secrets(doc: LoadedDocument, value, path: tuple) -> list[Diagnostic]:
    """Refuse private keys pasted into free-form data under secret-sounding names."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and _SECRET_NAME.search(k) and _HEX_KEY.match(v.strip()):
                out.append(doc.diagnostic(path + (k,), _INLINE_KEY))
            else:
                out += _check_secrets(doc, v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _check_secrets(doc, v, path + (i,))
    return out


def target_protocol(data: dict) -> str | None:
    """"ocean-node" or "provider" when the spec fixes it (the mock is a Provider unless told), else None."""
    target = data.get("target", "mock")
    if target == "mock":
        return "provider"
    if not isinstance(target, dict):
        return None
    if "provider" in target:
        return target.get("protocol")
    return target.get("protocol") or "provider"


def _check_target(doc: LoadedDocument, data: dict) -> list[Diagnostic]:
    target = _mapping(data.get("target"))
    if "provider" in target and target.get("protocol") == "provider" and "chain_id" not in target:
        return [doc.diagnostic(("target",), "a Provider target needs chain_id (the chain of the assets)")]
    address_file = target.get("address_file")
    if isinstance(address_file, str) and address_file and not (doc.path.parent / address_file).is_file():
        return [doc.diagnostic(("target", "address_file"), f"address file {address_file!r} not found "
                               f"(looked at {doc.path.parent / address_file})")]
    mock = target.get("mock")
    if isinstance(mock, str) and mock:
        world = doc.path.parent / mock
        if not world.is_file():
            return [doc.diagnostic(("target", "mock"), f"world file {mock!r} not found (looked at {world})")]
    return []


def _check_duration(doc: LoadedDocument, path: tuple, value) -> list[Diagnostic]:
    try:
        parse_duration(value)
    except ValueError as exc:
        return [doc.diagnostic(path, str(exc))]
    return []


def _check_job(doc: LoadedDocument, name: str, job: dict, defaults: dict) -> list[Diagnostic]:
    base = ("jobs", name)
    out = []
    # The schema allows arbitrary keys only in custom data and userdata: a pasted key hides there.
    for free_form in (("algocustomdata",), ("dataset", "userdata"), ("matrix",)):
        value = _mapping(job)
        for part in free_form:
            value = _mapping(value.get(part))
        out += _check_secrets(doc, value, base + free_form)
    for i, extra in enumerate(_list(job.get("additional_datasets"))):
        out += _check_secrets(doc, _mapping(_mapping(extra).get("userdata")), base + ("additional_datasets", i, "userdata"))
    if "timeout" in job:
        out += _check_duration(doc, base + ("timeout",), job["timeout"])
    out += _check_protocol_fit(doc, base, job)
    file = _mapping(_mapping(job.get("algorithm")).get("raw")).get("file")
    if isinstance(file, str):
        source = doc.path.parent / file
        if not source.is_file():
            out.append(doc.diagnostic(base + ("algorithm", "raw", "file"),
                                      f"algorithm file {file!r} not found (looked at {source})"))
    if isinstance(job.get("matrix"), dict):
        out += _check_matrix(doc, base, job)
    if isinstance(job.get("expect"), dict):
        out += _check_expect(doc, base, job, defaults)
    return out


def _check_protocol_fit(doc: LoadedDocument, base: tuple, job: dict) -> list[Diagnostic]:
    """Settings only one protocol has, refused where the spec fixes the other one."""
    protocol = target_protocol(_mapping(doc.data))
    out = []
    if protocol == "provider":
        node_only = "is an Ocean Node setting; this target is a Provider (set target protocol: ocean-node, or drop it)"
        datasets = [("dataset",)] + [("additional_datasets", i) for i in range(len(_list(job.get("additional_datasets"))))]
        for where in datasets:
            value = job
            for part in where:
                value = value[part] if isinstance(value, list) else _mapping(value).get(part)
            if isinstance(value, dict) and "url" in value:
                out.append(doc.diagnostic(base + where + ("url",), f"a dataset by url {node_only}"))
        if "resources" in job:
            out.append(doc.diagnostic(base + ("resources",), f"resources {node_only}", key=True))
        raw = _mapping(_mapping(job.get("algorithm")).get("raw"))
        if isinstance(raw.get("container"), dict) and "checksum" not in raw["container"]:
            out.append(doc.diagnostic(base + ("algorithm", "raw", "container"), "container.checksum is required on a "
                                      "Provider ('sha256:' + 64 hex digits); only an Ocean Node runs image:tag without one"))
    return out


def _lookup(job: dict, dotted: str):
    value = job
    for part in dotted.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise KeyError(part)
    return value


def assign(job: dict, dotted: str, value) -> None:
    """Set the value at a dotted path of a job (list items by index), in place."""
    parts = dotted.split(".")
    target = job
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if isinstance(target, list):
        target[int(parts[-1])] = value
    else:
        target[parts[-1]] = value


def _check_matrix(doc: LoadedDocument, base: tuple, job: dict) -> list[Diagnostic]:
    import copy

    from c2d_runner.yamldoc.schema import definition_problems

    out = []
    combinations = 1
    for key, values in job["matrix"].items():
        if not isinstance(key, str) or not isinstance(values, list):
            continue  # the schema says what is wrong
        where = base + ("matrix", key)
        combinations *= len(values)
        if key.split(".")[0] not in MATRIX_ROOTS:
            out.append(doc.diagnostic(where, f"matrix key {key!r} must start with one of {', '.join(MATRIX_ROOTS)}",
                                      key=True))
            continue
        try:
            _lookup(job, key)
        except KeyError:
            out.append(doc.diagnostic(where, f"matrix key {key!r} does not exist in job {base[1]!r}; "
                                      "give it a default value in the job first", key=True))
            continue
        # Each value stands where the job's own value stood, so it is held to the same rules.
        parts = tuple(int(p) if p.isdigit() else p for p in key.split("."))
        for i, value in enumerate(values):
            variant = copy.deepcopy({k: v for k, v in job.items() if k != "matrix"})
            assign(variant, key, value)
            problems = [m for m, path in definition_problems(variant, "spec", "job") if path[:len(parts)] == parts]
            if parts[-1] == "timeout" and not problems:
                try:
                    parse_duration(value)
                except ValueError as exc:
                    problems.append(str(exc))
            out += [doc.diagnostic(where + (i,), f"matrix value for {key}: {m}") for m in problems]
    if combinations > MAX_MATRIX_JOBS:
        out.append(doc.diagnostic(base + ("matrix",), f"the matrix expands to {combinations:,} jobs; "
                                  f"at most {MAX_MATRIX_JOBS:,} are allowed"))
    return out


def _check_expect(doc: LoadedDocument, base: tuple, job: dict, defaults: dict) -> list[Diagnostic]:
    expect = job["expect"]
    where = base + ("expect",)
    out = []
    outputs = [o for o in _list(expect.get("outputs")) if isinstance(o, dict)]
    if expect.get("status") == "failed" and any(o.get("present", True) for o in outputs):
        out.append(doc.diagnostic(where + ("outputs",), "a job expected to fail publishes no outputs; "
                                  "expect status 'finished' or drop these output expectations"))
    duration = _mapping(expect.get("duration"))
    if "max" in duration:
        bad = _check_duration(doc, where + ("duration", "max"), duration["max"])
        out += bad
        timeout_value = job.get("timeout", defaults.get("timeout"))
        if not bad and timeout_value is not None:
            try:
                limit = parse_duration(timeout_value)
            except ValueError:
                limit = None  # reported where the timeout is written
            if limit is not None and parse_duration(duration["max"]) > limit:
                out.append(doc.diagnostic(where + ("duration", "max"), "expected duration is longer than the job's "
                                          "timeout, so it can never be the reason a job fails; lower it"))
    seen: dict[str, int] = {}
    for i, output in enumerate(_list(expect.get("outputs"))):
        name = _mapping(output).get("name")
        if not isinstance(name, str):
            continue  # the schema says what is wrong
        here = where + ("outputs", i)
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or "\x00" in name or any(p in ("", ".", "..") for p in parts):
            out.append(doc.diagnostic(here + ("name",), f"output name {name!r} must be a path inside outputs/ "
                                      "such as 'result.json' or 'sub/nested.txt' (no leading '/', no '.' or '..')"))
        if name in seen:
            out.append(doc.diagnostic(here + ("name",), f"output {name!r} is already expected at outputs[{seen[name]}]"))
        seen.setdefault(name, i)
        if output.get("present", True) is False and set(output) - {"name", "present"}:
            out.append(doc.diagnostic(here + ("present",), "an output expected to be absent cannot have content checks"))
        size = _mapping(output.get("size"))
        if _inverted(size.get("min", 0), size.get("max", float("inf"))):
            out.append(doc.diagnostic(here + ("size",), "size.min is larger than size.max"))
        for key, match in _mapping(output.get("json")).items():
            if isinstance(match, dict) and _inverted(match.get("min", float("-inf")), match.get("max", float("inf"))):
                out.append(doc.diagnostic(here + ("json", key), "min is larger than max"))
    return out
