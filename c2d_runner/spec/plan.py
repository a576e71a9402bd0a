"""Turn a checked spec document into the immutable SpecPlan, expanding matrix jobs."""
from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path

from c2d_runner.spec.checks import KEY_REF, assign
from c2d_runner.yamldoc.diagnostics import SpecInvalid
from c2d_runner.yamldoc.documents import LoadedDocument
from c2d_runner.spec.durations import parse_duration
from c2d_runner.spec.model import (DEFAULT_ENVIRONMENT, DEFAULT_SERVICE, DEFAULT_TIMEOUT, DatasetRef, Expectations,
                                   JobPlan, JsonExpectation, KeySource, MockTarget, OutputExpectation,
                                   PublishedAlgorithm, RawAlgorithm, RemoteTarget, SpecPlan, UrlDatasetRef, freeze)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def build_plan(doc: LoadedDocument) -> SpecPlan:
    """The SpecPlan of a document that passed the schema and the semantic checks."""
    data = doc.data
    defaults = data.get("defaults", {})
    jobs: list[JobPlan] = []
    names: dict[str, str] = {}
    for name, job in data["jobs"].items():
        for variant_name, values, variant in _expand(name, job):
            if variant_name in names:
                raise SpecInvalid([doc.diagnostic(("jobs", name, "matrix"), f"matrix job {variant_name!r} clashes "
                                                  f"with job {names[variant_name]!r}; rename one of them")])
            names[variant_name] = name
            jobs.append(_job(doc, variant_name, name, values, variant, defaults))
    return SpecPlan(path=doc.path, name=data["name"], sha256=doc.sha256, target=_target(doc),
                    consumer=_consumer(doc), jobs=tuple(jobs))


def _target(doc: LoadedDocument):
    target = doc.data.get("target", "mock")
    if target == "mock":
        return MockTarget()
    if "provider" in target:
        provider = target["provider"].rstrip("/")
        address_file = (doc.path.parent / target["address_file"]).resolve() if target.get("address_file") else None
        return RemoteTarget(provider=provider, aquarius=target.get("aquarius", provider).rstrip("/"),
                            chain_id=target.get("chain_id"), protocol=target.get("protocol"),
                            requests_per_minute=target.get("requests_per_minute"), rpc=target.get("rpc"),
                            address_file=address_file)
    world = (doc.path.parent / target["mock"]).resolve() if target.get("mock") else None
    return MockTarget(world=world, faults=target.get("faults"), seed=target.get("seed", 0),
                      protocol=target.get("protocol"), chain=bool(target.get("chain", False)))


def _consumer(doc: LoadedDocument) -> KeySource:
    consumer = doc.data.get("consumer", {})
    if "key" in consumer:
        return KeySource(env=KEY_REF.match(consumer["key"]).group(1))
    if "key_file" in consumer:
        # `~/.ocean/key` means the user's home, as in a shell; a relative path is the spec's folder's.
        return KeySource(file=(doc.path.parent / Path(consumer["key_file"]).expanduser()).resolve())
    return KeySource()


def _expand(name: str, job: dict):
    """(name, matrix values, job data) for each combination of the job's matrix (or the job itself)."""
    matrix = job.get("matrix")
    if not matrix:
        yield name, (), job
        return
    keys = list(matrix)
    short = [k.rsplit(".", 1)[-1] for k in keys]
    labels = short if len(set(short)) == len(short) else keys
    for combo in itertools.product(*(matrix[k] for k in keys)):
        variant = copy.deepcopy({k: v for k, v in job.items() if k != "matrix"})
        for key, value in zip(keys, combo):
            assign(variant, key, value)
        label = ",".join(f"{lab}={_UNSAFE.sub('_', str(v))}" for lab, v in zip(labels, combo))
        yield f"{name}[{label}]", tuple(zip(keys, combo)), variant


def _dataset(data: dict):
    if "url" in data:
        headers = data.get("headers")
        return UrlDatasetRef(url=data["url"], method=data.get("method", "get").lower(),
                             headers=freeze(headers) if headers else None)
    userdata = data.get("userdata")
    return DatasetRef(did=data["did"], service=data.get("service", DEFAULT_SERVICE),
                      userdata=freeze(userdata) if userdata is not None else None)


def _algorithm(doc: LoadedDocument, data: dict):
    if "did" in data:
        return PublishedAlgorithm(did=data["did"], service=data.get("service"))
    raw = data["raw"]
    container = raw["container"]
    source = (doc.path.parent / raw["file"]).resolve() if "file" in raw else None
    code = source.read_text("utf-8") if source else raw["code"]
    return RawAlgorithm(code=code, source=source, entrypoint=container["entrypoint"], image=container["image"],
                        tag=container["tag"], checksum=container.get("checksum", ""),
                        language=raw.get("language", ""), version=raw.get("version", ""))


def _texts(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _json_expectation(path: str, match) -> JsonExpectation:
    if not isinstance(match, dict):
        return JsonExpectation(path=path, equals=freeze(match), has_equals=True)
    return JsonExpectation(path=path, equals=freeze(match.get("equals")), has_equals="equals" in match,
                           min=match.get("min"), max=match.get("max"), exists=match.get("exists"))


def _expectations(data: dict) -> Expectations:
    outputs = tuple(
        OutputExpectation(name=o["name"], present=o.get("present", True), sha256=o.get("sha256"),
                          min_size=o.get("size", {}).get("min"), max_size=o.get("size", {}).get("max"),
                          contains=_texts(o.get("contains")),
                          json=tuple(_json_expectation(k, v) for k, v in o.get("json", {}).items()))
        for o in data.get("outputs", []))
    duration = data.get("duration", {}).get("max")
    return Expectations(status=data.get("status", "finished"),
                        max_duration=parse_duration(duration) if duration is not None else None,
                        outputs=outputs, logs_contains=_texts(data.get("logs", {}).get("contains")),
                        logs_not_contains=_texts(data.get("logs", {}).get("not_contains")),
                        exit_code=data.get("exit_code"))


def _job(doc, name, template, values, job, defaults) -> JobPlan:
    timeout = job.get("timeout", defaults.get("timeout"))
    custom = job.get("algocustomdata")
    envs = job["algorithm"].get("envs")
    resources = job.get("resources")
    return JobPlan(
        name=name, template=template,
        dataset=_dataset(job["dataset"]),
        additional_datasets=tuple(_dataset(d) for d in job.get("additional_datasets", [])),
        algorithm=_algorithm(doc, job["algorithm"]),
        algocustomdata=freeze(custom) if custom is not None else None,
        envs=freeze({k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in envs.items()}) if envs else None,
        resources=freeze(resources) if resources else None,
        environment=job.get("environment", defaults.get("environment", DEFAULT_ENVIRONMENT)),
        timeout=parse_duration(timeout) if timeout is not None else DEFAULT_TIMEOUT,
        matrix_values=tuple((k, freeze(v)) for k, v in values),
        expect=_expectations(job.get("expect", {})),
    )
