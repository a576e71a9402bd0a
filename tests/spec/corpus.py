"""Malformed specs and the exact diagnostics they must produce (file name is always 'spec.yaml').

Each case: (id, yaml text, expected diagnostic lines). Shared header lines keep positions easy
to read: line 1 version, 2 name, 3 jobs, 4 the job name, 5+ its fields.
"""
DS = "did:op:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a737945a1414ffa93e"
AL = "did:op:06021804ada2eff0cbd121bc1a4074fef2ac069a86a27a81e68019358a1c5c92"
CK = "sha256:" + "0" * 64
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # Hardhat dev account #0
HEAD = "version: 1\nname: t\njobs:\n  j:\n"
JOB = f"    dataset: {{did: \"{DS}\"}}\n    algorithm: {{did: \"{AL}\"}}\n"
VALID = HEAD + JOB


def job(extra: str) -> str:
    return VALID + extra


CASES = [
    ("empty-file", "", ["spec.yaml:1:1: error: the file is empty; expected a mapping [$]"]),
    ("only-comment", "# nothing here\n", ["spec.yaml:1:1: error: the file is empty; expected a mapping [$]"]),
    ("binary-garbage", b"\x89PNG\r\n\x1a\n\x00\x00", [
        "spec.yaml:1:1: error: file is not UTF-8 text (byte 0x89 at offset 0) [$]"]),
    ("not-utf8-later", b"version: 1\nname: caf\xe9\n", [
        "spec.yaml:2:10: error: file is not UTF-8 text (byte 0xe9 at offset 20) [$]"]),
    ("nul-byte", "version: 1\nname: \x00\n", [
        'spec.yaml:2:7: error: control character #x0000 is not allowed in YAML text [$]',
    ]),
    ("top-level-list", "- a\n- b\n", ["spec.yaml:1:1: error: expected a mapping, got a list [$]"]),
    ("top-level-scalar", "hello\n", ["spec.yaml:1:1: error: expected a mapping, got text [$]"]),
    ("syntax-unclosed-flow", HEAD + "    dataset: {did: x\n", [
        "spec.yaml:6:1: error: YAML syntax error: did not find expected ',' or '}' while parsing a flow mapping [$]",
    ]),
    ("syntax-bad-indent", "version: 1\nname: t\n  jobs: {}\n", [
        'spec.yaml:3:7: error: YAML syntax error: mapping values are not allowed in this context [$]',
    ]),
    ("tab-indent", "version: 1\nname: t\njobs:\n\tj: {}\n", [
        'spec.yaml:4:1: error: YAML syntax error: a tab character; indent with spaces, YAML does not allow tabs there [$]',
    ]),
    ("two-documents", VALID + "---\nversion: 1\n", [
        "spec.yaml:7:1: error: only one YAML document per file ('---' found twice) [$]",
    ]),
    ("duplicate-top-key", "version: 1\nname: t\nname: u\njobs: {}\n", [
        "spec.yaml:3:1: error: duplicate key 'name' (first defined at line 2, column 1) [name]",
    ]),
    ("duplicate-job", VALID + "  j:\n" + JOB, [
        "spec.yaml:7:3: error: duplicate key 'j' (first defined at line 4, column 3) [jobs.j]",
    ]),
    ("duplicate-nested-key", HEAD + JOB + f"    dataset: {{did: \"{DS}\"}}\n", [
        "spec.yaml:7:5: error: duplicate key 'dataset' (first defined at line 5, column 5) [jobs.j.dataset]",
    ]),
    ("unsafe-python-object", "version: 1\nname: !!python/object:os.system ls\njobs: {}\n", [
        "spec.yaml:2:7: error: tag '!!python/object:os.system' is not allowed (only plain YAML values) [name]",
    ]),
    ("unsafe-python-apply", "version: 1\nname: t\njobs: !!python/object/apply:os.system [ls]\n", [
        "spec.yaml:3:7: error: tag '!!python/object/apply:os.system' is not allowed on a list [jobs]",
    ]),
    ("local-tag", "version: 1\nname: !env HOME\njobs: {}\n", [
        "spec.yaml:2:7: error: tag '!env' is not allowed (only plain YAML values) [name]",
    ]),
    ("binary-tag", "version: 1\nname: !!binary aGVsbG8=\njobs: {}\n", [
        "spec.yaml:2:7: error: tag '!!binary' is not allowed (only plain YAML values) [name]",
    ]),
    ("int-key", HEAD + JOB + "    1: x\n", [
        "spec.yaml:7:5: error: keys must be strings, but '1' is read as int; quote it if you mean the text '1' [jobs.j]",
    ]),
    ("bool-key", HEAD + JOB + "    yes: x\n", [
        "spec.yaml:7:5: error: keys must be strings, but 'yes' is read as bool; quote it if you mean the text 'yes' [jobs.j]",
    ]),
    ("null-key", HEAD + JOB + "    ~: x\n", [
        "spec.yaml:7:5: error: keys must be strings, but '~' is read as null; quote it if you mean the text '~' [jobs.j]",
    ]),
    ("billion-laughs", "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
     "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
     "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
     [
        "spec.yaml:3:4: error: aliases expand to more than 100,000 nodes (a 'billion laughs' document?); refusing to load it [e[1][8]]",
    ]),
    ("missing-version", "name: t\njobs:\n  j:\n" + JOB, [
        "spec.yaml:1:1: error: missing required key 'version' [$]",
    ]),
    ("wrong-version", VALID.replace("version: 1", "version: 2"), [
        'spec.yaml:1:10: error: must be 1, got 2 [version]',
    ]),
    ("version-as-text", VALID.replace("version: 1", "version: '1'"), [
        "spec.yaml:1:10: error: must be 1, got '1' [version]",
    ]),
    ("missing-jobs", "version: 1\nname: t\n", [
        "spec.yaml:1:1: error: missing required key 'jobs' [$]",
    ]),
    ("empty-jobs", "version: 1\nname: t\njobs: {}\n", [
        'spec.yaml:3:7: error: must not be empty [jobs]',
    ]),
    ("jobs-is-list", "version: 1\nname: t\njobs: [a, b]\n", [
        'spec.yaml:3:7: error: expected a mapping, got a list [jobs]',
    ]),
    ("bad-spec-name", VALID.replace("name: t", "name: my spec"), [
        "spec.yaml:2:7: error: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (got 'my spec') [name]",
    ]),
    ("bad-job-name", VALID.replace("  j:", "  ../etc:"), [
        "spec.yaml:4:3: error: bad name '../etc': job names must be 1-64 letters, digits, '_' or '-', starting with a letter or digit [jobs['../etc']]",
    ]),
    ("unknown-top-key", VALID + "target_url: http://x\n", [
        "spec.yaml:7:1: error: unknown key 'target_url'; did you mean 'target'? [target_url]",
    ]),
    ("unknown-job-key-typo", job("    algocustomdta: {a: 1}\n"), [
        "spec.yaml:7:5: error: unknown key 'algocustomdta'; did you mean 'algocustomdata'? [jobs.j.algocustomdta]",
    ]),
    ("missing-dataset", HEAD + f"    algorithm: {{did: \"{AL}\"}}\n", [
        "spec.yaml:4:3: error: missing required key 'dataset' [jobs.j]",
    ]),
    ("missing-algorithm", HEAD + f"    dataset: {{did: \"{DS}\"}}\n", [
        "spec.yaml:4:3: error: missing required key 'algorithm' [jobs.j]",
    ]),
    ("bad-did-short", VALID.replace(DS, "did:op:1234"), [
        "spec.yaml:5:20: error: must be a DID: 'did:op:' followed by 64 lowercase hex digits (got 'did:op:1234') [jobs.j.dataset.did]",
    ]),
    ("bad-did-uppercase", VALID.replace(DS, DS.upper().replace("DID:OP:", "did:op:")), [
        "spec.yaml:5:20: error: must be a DID: 'did:op:' followed by 64 lowercase hex digits (got 'did:op:621CE210D3B287AD78837AEF311A6E5C4AAAB80CD8E294A73...) [jobs.j.dataset.did]",
    ]),
    ("bad-did-prefix", VALID.replace(DS, DS.replace("did:op:", "did:ethr:")), [
        "spec.yaml:5:20: error: must be a DID: 'did:op:' followed by 64 lowercase hex digits (got 'did:ethr:621ce210d3b287ad78837aef311a6e5c4aaab80cd8e294a...) [jobs.j.dataset.did]",
    ]),
    ("did-not-string", VALID.replace(f'"{DS}"', "12345"), [
        'spec.yaml:5:20: error: expected text, got an integer [jobs.j.dataset.did]',
    ]),
    ("algorithm-both-did-and-raw", HEAD + f"    dataset: {{did: \"{DS}\"}}\n"
     f"    algorithm: {{did: \"{AL}\", raw: {{code: x, container: {{entrypoint: e, image: i, tag: t, checksum: \"{CK}\"}}}}}}\n",
     [
        "spec.yaml:6:16: error: an algorithm needs exactly one of 'did' (published) or 'raw' [jobs.j.algorithm]",
    ]),
    ("raw-without-container", HEAD + f"    dataset: {{did: \"{DS}\"}}\n    algorithm: {{raw: {{code: 'print(1)'}}}}\n",
     [
        "spec.yaml:6:17: error: missing required key 'container' [jobs.j.algorithm.raw]",
    ]),
    ("raw-file-missing", HEAD + f"    dataset: {{did: \"{DS}\"}}\n    algorithm:\n      raw:\n        file: nope.py\n"
     f"        container: {{entrypoint: python $ALGO, image: python, tag: '3.11', checksum: '{CK}'}}\n", [
        "spec.yaml:8:15: error: algorithm file 'nope.py' not found (looked at nope.py) [jobs.j.algorithm.raw.file]",
    ]),
    ("raw-bad-checksum", HEAD + f"    dataset: {{did: \"{DS}\"}}\n    algorithm:\n      raw:\n        code: x\n"
     "        container: {entrypoint: python $ALGO, image: python, tag: '3.11', checksum: 'md5:abc'}\n", [
        "spec.yaml:9:85: error: must be 'sha256:' followed by 64 lowercase hex digits (got 'md5:abc') [jobs.j.algorithm.raw.container.checksum]",
    ]),
    ("bad-timeout", job("    timeout: 10 minutes\n"), [
        "spec.yaml:7:14: error: must be a duration such as '30s', '10m', '1h30m' or a number of seconds (got '10 minutes') [jobs.j.timeout]",
    ]),
    ("zero-timeout", job("    timeout: 0s\n"), [
        "spec.yaml:7:14: error: duration '0s' must be longer than zero [jobs.j.timeout]",
    ]),
    ("negative-timeout", job("    timeout: -5\n"), [
        "spec.yaml:7:14: error: must be a duration such as '30s', '10m', '1h30m' or a number of seconds (got -5) [jobs.j.timeout]",
    ]),
    ("bad-default-timeout", VALID + "defaults: {timeout: soon}\n", [
        "spec.yaml:7:21: error: must be a duration such as '30s', '10m', '1h30m' or a number of seconds (got 'soon') [defaults.timeout]",
    ]),
    ("bad-status", job("    expect: {status: done}\n"), [
        "spec.yaml:7:22: error: must be one of 'finished', 'failed', got 'done' [jobs.j.expect.status]",
    ]),
    ("bad-sha256", job("    expect:\n      outputs: [{name: r, sha256: abc}]\n"), [
        "spec.yaml:8:35: error: must be 64 lowercase hex digits (got 'abc') [jobs.j.expect.outputs[0].sha256]",
    ]),
    ("output-path-name", job("    expect:\n      outputs: [{name: ../etc/passwd}]\n"), [
        "spec.yaml:8:24: error: output name '../etc/passwd' must be a path inside outputs/ such as 'result.json' or 'sub/nested.txt' (no leading '/', no '.' or '..') [jobs.j.expect.outputs[0].name]",
    ]),
    ("failed-with-outputs", job("    expect:\n      status: failed\n      outputs: [{name: r}]\n"), [
        "spec.yaml:9:16: error: a job expected to fail publishes no outputs; expect status 'finished' or drop these output expectations [jobs.j.expect.outputs]",
    ]),
    ("duration-over-timeout", job("    timeout: 1m\n    expect: {duration: {max: 5m}}\n"), [
        "spec.yaml:8:30: error: expected duration is longer than the job's timeout, so it can never be the reason a job fails; lower it [jobs.j.expect.duration.max]",
    ]),
    ("json-min-over-max", job("    expect:\n      outputs: [{name: r, json: {acc: {min: 0.9, max: 0.1}}}]\n"),
     [
        'spec.yaml:8:39: error: min is larger than max [jobs.j.expect.outputs[0].json.acc]',
    ]),
    ("absent-with-checks", job("    expect:\n      outputs: [{name: r, present: false, sha256: "
                               + "a" * 64 + "}]\n"), [
        'spec.yaml:8:36: error: an output expected to be absent cannot have content checks [jobs.j.expect.outputs[0].present]',
    ]),
    ("matrix-key-missing", job("    algocustomdata: {n: 1}\n    matrix: {algocustomdata.m: [1, 2]}\n"), [
        "spec.yaml:8:14: error: matrix key 'algocustomdata.m' does not exist in job 'j'; give it a default value in the job first [jobs.j.matrix['algocustomdata.m']]",
    ]),
    ("matrix-bad-root", job("    matrix: {expect.status: [finished]}\n"), [
        "spec.yaml:7:14: error: matrix key 'expect.status' must start with one of algocustomdata, dataset, additional_datasets, algorithm, environment, timeout, resources [jobs.j.matrix['expect.status']]",
    ]),
    ("matrix-empty-values", job("    algocustomdata: {n: 1}\n    matrix: {algocustomdata.n: []}\n"), [
        "spec.yaml:8:32: error: must not be empty [jobs.j.matrix['algocustomdata.n']]",
    ]),
    ("inline-key", VALID + f"consumer: {{key: \"{KEY}\"}}\n", [
        "spec.yaml:7:17: error: a private key is inlined in the spec; keys never sit in a spec file: export it and write 'key: ${C2D_PRIVATE_KEY}', or use key_file [consumer.key]",
    ]),
    ("inline-key-no-0x", VALID + f"consumer:\n  key: {KEY[2:]}\n", [
        "spec.yaml:8:8: error: a private key is inlined in the spec; keys never sit in a spec file: export it and write 'key: ${C2D_PRIVATE_KEY}', or use key_file [consumer.key]",
    ]),
    ("inline-key-in-customdata", job(f"    algocustomdata: {{private_key: \"{KEY}\"}}\n"), [
        "spec.yaml:7:35: error: a private key is inlined in the spec; keys never sit in a spec file: export it and write 'key: ${C2D_PRIVATE_KEY}', or use key_file [jobs.j.algocustomdata.private_key]",
    ]),
    ("key-not-a-reference", VALID + "consumer: {key: my-key}\n", [
        "spec.yaml:7:17: error: consumer.key must be exactly '${VARIABLE}', the environment variable holding the private key [consumer.key]",
    ]),
    ("missing-env-var", job("    algocustomdata:\n      n: ${C2D_TEST_SURELY_UNSET}\n"), [
        "spec.yaml:8:10: error: environment variable 'C2D_TEST_SURELY_UNSET' is not set (set it, or write ${C2D_TEST_SURELY_UNSET:-default}) [jobs.j.algocustomdata.n]",
    ]),
    ("malformed-env-ref", job("    algocustomdata: {n: '${ bad'}\n"), [
        "spec.yaml:7:25: error: malformed variable reference '${ bad'; write ${NAME} or ${NAME:-default} [jobs.j.algocustomdata.n]",
    ]),
    ("remote-without-key", VALID + "target: {provider: 'https://provider.example', chain_id: 1}\n", [
        "spec.yaml:7:9: error: a real Ocean Node or Provider needs a consumer key: add 'consumer: {key: ${C2D_PRIVATE_KEY}}' (or key_file) [target]",
    ]),
    ("remote-bad-url", VALID + "target: {provider: 'ftp://x', chain_id: 1}\n"
     "consumer: {key: '${C2D_PRIVATE_KEY}'}\n", [
        "spec.yaml:7:20: error: must be an http:// or https:// URL (got 'ftp://x') [target.provider]",
    ]),
    ("target-unknown-string", VALID + "target: local\n", [
        "spec.yaml:7:9: error: must be 'mock' or a mapping (got 'local') [target]",
    ]),
    ("mock-world-missing", VALID + "target: {mock: worlds/none.yaml}\n", [
        "spec.yaml:7:16: error: world file 'worlds/none.yaml' not found (looked at worlds/none.yaml) [target.mock]",
    ]),
    ("job-names-differ-by-case", VALID + "  J:\n" + JOB, [
        "spec.yaml:7:3: error: job 'J' differs from 'j' only by case; their run folders would clash on some systems [jobs.J]",
    ]),
    ("wrong-type-customdata", job("    algocustomdata: [1, 2]\n"), [
        'spec.yaml:7:21: error: expected a mapping, got a list [jobs.j.algocustomdata]',
    ]),
    ("wrong-type-additional", job("    additional_datasets: {did: x}\n"), [
        'spec.yaml:7:26: error: expected a list, got a mapping [jobs.j.additional_datasets]',
    ]),
    ("recursive-alias", "version: 1\nname: t\njobs: &a\n  j: *a\n", [
        "spec.yaml:3:7: error: recursive alias: this node contains an alias to itself [jobs.j]",
    ]),
    ("matrix-value-bad-did", job("    matrix:\n      dataset.did: [x]\n"), [
        "spec.yaml:8:21: error: matrix value for dataset.did: must be a DID: 'did:op:' followed by 64 lowercase hex digits (got 'x') [jobs.j.matrix['dataset.did'][0]]",
    ]),
    ("matrix-value-bad-timeout", job("    timeout: 1m\n    matrix: {timeout: [5m, soon]}\n"), [
        "spec.yaml:8:28: error: matrix value for timeout: must be a duration such as '30s', '10m', '1h30m' or a number of seconds (got 'soon') [jobs.j.matrix.timeout[1]]",
    ]),
    ("infinite-timeout", job("    timeout: .inf\n"), [
        "spec.yaml:7:14: error: duration inf must be a finite number of seconds [jobs.j.timeout]",
    ]),
    ("huge-timeout", job("    timeout: 99999h\n"), [
        "spec.yaml:7:14: error: duration '99999h' is longer than a year; no provider keeps a job that long [jobs.j.timeout]",
    ]),
    # Ocean Node settings
    ("url-dataset-on-provider", HEAD + "    dataset: {url: 'http://h/data.csv'}\n    algorithm: {did: \"" + AL + "\"}\n", [
        "spec.yaml:5:20: error: a dataset by url is an Ocean Node setting; this target is a Provider (set target protocol: ocean-node, or drop it) [jobs.j.dataset.url]",
    ]),
    ("url-and-did-dataset", HEAD + f"    dataset: {{url: 'http://h/d.csv', did: \"{DS}\"}}\n    algorithm: {{did: \"{AL}\"}}\n"
     "target: {mock: null, protocol: ocean-node}\n", [
        "spec.yaml:5:14: error: a dataset needs either 'did' (with service, userdata) or 'url' (with method, headers), not both [jobs.j.dataset]",
    ]),
    ("resources-on-provider", job("    resources: {cpu: 1}\n"), [
        "spec.yaml:7:5: error: resources is an Ocean Node setting; this target is a Provider (set target protocol: ocean-node, or drop it) [jobs.j.resources]",
    ]),
    ("negative-resource", job("    resources: {ram: -1}\n") + "target: {mock: null, protocol: ocean-node}\n", [
        "spec.yaml:7:22: error: must be >= 0, got -1 [jobs.j.resources.ram]",
    ]),
    ("no-checksum-on-provider", HEAD + f"    dataset: {{did: \"{DS}\"}}\n    algorithm:\n      raw:\n        code: x\n"
     "        container: {entrypoint: python $ALGO, image: python, tag: '3.11'}\n", [
        "spec.yaml:9:20: error: container.checksum is required on a Provider ('sha256:' + 64 hex digits); only an Ocean Node runs image:tag without one [jobs.j.algorithm.raw.container]",
    ]),
    ("provider-protocol-without-chain", VALID + "target: {provider: 'http://n', protocol: provider}\n"
     "consumer: {key: '${C2D_PRIVATE_KEY}'}\n", [
        "spec.yaml:7:9: error: a Provider target needs chain_id (the chain of the assets) [target]",
    ]),
    ("bad-protocol", VALID + "target: {provider: 'http://n', protocol: node}\nconsumer: {key: '${C2D_PRIVATE_KEY}'}\n", [
        "spec.yaml:7:42: error: must be one of 'provider', 'ocean-node', got 'node' [target.protocol]",
    ]),
    ("bad-exit-code", job("    expect: {exit_code: zero}\n"), [
        "spec.yaml:7:25: error: expected an integer, got text [jobs.j.expect.exit_code]",
    ]),
    ("output-absolute-path", job("    expect:\n      outputs: [{name: /etc/passwd}]\n"), [
        "spec.yaml:8:24: error: output name '/etc/passwd' must be a path inside outputs/ such as 'result.json' or 'sub/nested.txt' (no leading '/', no '.' or '..') [jobs.j.expect.outputs[0].name]",
    ]),
]
