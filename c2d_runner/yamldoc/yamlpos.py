"""Load YAML into plain data while keeping the line and column of every node.

PyYAML's composer (libyaml when available) gives a node graph with marks; we build the data
ourselves so that we can refuse what YAML allows but a spec must not have: duplicate keys, tags
outside the JSON-compatible core (e.g. `!!python/object`), non-string keys, and aliases that
expand into huge documents (the "billion laughs").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from c2d_runner.yamldoc.diagnostics import Diagnostic, SpecInvalid, format_path

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
# Dates stay text: a spec is JSON-shaped data, and JSON has no date type.
_AS_TEXT = {_TAG + "str", _TAG + "timestamp"}
_CONVERT = {_TAG + t: yaml.SafeLoader.yaml_constructors[_TAG + t] for t in ("int", "float", "bool", "null")}
# Aliases may reuse small blocks (that is what they are for). A document whose aliases expand to
# more than this many nodes, and to far more than the document itself, is an attack or a mistake.
MAX_ALIAS_EXPANSION = 100_000
_constructor = yaml.SafeLoader("")  # only its scalar conversion methods are used


@dataclass
class Positions:
    """Where each JSON path sits in the file: value positions and, for mapping entries, key positions."""

    values: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)

    def of(self, path: tuple, *, key: bool = False) -> tuple[int, int]:
        """Line and column of `path` (its key when `key`), else of the closest ancestor."""
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))


def _pos(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _decode(raw: bytes, filename: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise SpecInvalid([Diagnostic(filename, line, col,
                                      f"file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")])


def _syntax_error(exc: yaml.YAMLError, text: str, filename: str) -> SpecInvalid:
    if isinstance(exc, yaml.reader.ReaderError):  # a control character; it carries an offset, not a mark
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        return SpecInvalid([Diagnostic(filename, line, col,
                                       f"control character #x{exc.character:04x} is not allowed in YAML text")])
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = _pos(mark) if mark else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {problem}" + (f" {context}" if context else "")
    if mark is not None and text[mark.index:mark.index + 1] == "\t":
        message = "YAML syntax error: a tab character; indent with spaces, YAML does not allow tabs there"
    return SpecInvalid([Diagnostic(filename, line, col, message)])


class _Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.positions = Positions()
        self.errors: list[Diagnostic] = []
        self.seen: dict[int, int] = {}  # id(node) -> subtree size, to price aliases
        self.built = 0
        self.expanded = 0
        self.active: set[int] = set()  # nodes being built: meeting one again is a cycle

    def error(self, node, message: str, path: tuple) -> None:
        line, col = _pos(node.start_mark)
        self.errors.append(Diagnostic(self.filename, line, col, message, format_path(path)))

    def build(self, node, path: tuple):
        if id(node) in self.active:  # `a: &x {b: *x}`: an alias inside the node it names
            raise SpecInvalid([Diagnostic(self.filename, *_pos(node.start_mark),
                                          "recursive alias: this node contains an alias to itself", format_path(path))])
        size = self.seen.get(id(node))
        if size is not None:  # an alias: the same node object reached again
            self.expanded += size
            if self.expanded > MAX_ALIAS_EXPANSION and self.expanded > 10 * len(self.seen):
                raise SpecInvalid([Diagnostic(self.filename, *_pos(node.start_mark),
                                              f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes "
                                              "(a 'billion laughs' document?); refusing to load it",
                                              format_path(path))])
        self.positions.values.setdefault(path, _pos(node.start_mark))
        before = self.built
        self.built += 1
        self.active.add(id(node))
        try:
            value = self._build(node, path)
        finally:
            self.active.discard(id(node))
        self.seen.setdefault(id(node), self.built - before)
        return value

    def _build(self, node, path: tuple):
        tag = node.tag
        if isinstance(node, yaml.ScalarNode):
            if tag in _AS_TEXT:
                return node.value
            convert = _CONVERT.get(tag)
            if convert is None:
                self.error(node, f"tag {tag.replace(_TAG, '!!')!r} is not allowed (only plain YAML values)", path)
                return None
            return convert(_constructor, node)
        if isinstance(node, yaml.SequenceNode):
            if tag != _TAG + "seq":
                self.error(node, f"tag {tag.replace(_TAG, '!!')!r} is not allowed on a list", path)
                return None
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if tag != _TAG + "map":
            self.error(node, f"tag {tag.replace(_TAG, '!!')!r} is not allowed on a mapping", path)
            return None
        return self._mapping(node, path)

    def _mapping(self, node, path: tuple) -> dict:
        out: dict = {}
        merged: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                for source in (value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]):
                    if isinstance(source, yaml.MappingNode):
                        merged.update(self.build(source, path))
                    else:
                        self.error(source, "a merge key (<<) needs a mapping or a list of mappings", path)
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _TAG + "str":
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                kind = key_node.tag.replace(_TAG, "")
                hint = f"; quote it if you mean the text '{shown}'" if isinstance(key_node, yaml.ScalarNode) else ""
                self.error(key_node, f"keys must be strings, but {shown!r} is read as {kind}{hint}", path)
                continue
            key = key_node.value
            child = path + (key,)
            if key in out:
                first = self.positions.keys[child]
                self.error(key_node, f"duplicate key {key!r} (first defined at line {first[0]}, column {first[1]})",
                           child)
                continue
            self.positions.keys[child] = _pos(key_node.start_mark)
            out[key] = self.build(value_node, child)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out


def load_yaml(raw: bytes, filename: str) -> tuple[object, Positions]:
    """Parse one YAML document into plain data and its positions; raise SpecInvalid for bad input."""
    text = _decode(raw, filename)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.composer.ComposerError as exc:
        if "expected a single document" in str(exc):
            line, col = _pos(exc.problem_mark)
            raise SpecInvalid([Diagnostic(filename, line, col, "only one YAML document per file ('---' found twice)")])
        raise _syntax_error(exc, text, filename) from None
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text, filename) from None
    if node is None:
        raise SpecInvalid([Diagnostic(filename, 1, 1, "the file is empty; expected a mapping")])
    builder = _Builder(filename)
    data = builder.build(node, ())
    if builder.errors:
        raise SpecInvalid(builder.errors)
    return data, builder.positions
