"""Reading scenario YAML safely, keeping the line of every key, and resolving `extends`.

Files are parsed with ruamel.yaml's round-trip loader, which builds only plain mappings,
sequences and scalars and remembers where each key was written. The tree is then copied into
plain Python values with a budget on nodes (so "billion laughs" aliases cannot expand), a
limit on nesting (so thousands of `[[[...` cannot exhaust the parser's stack) and a
`LineMap` from key path to (file, line). `extends: other.yaml` is resolved relative to the
including file and deep-merged: mappings merge key by key, anything else replaces, and a key
set to `null` in the child removes it from the parent.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from copy import deepcopy
from pathlib import Path
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scanner import RoundTripScanner

from sim.errors import KeyPath, Problem, ScenarioError
from sim.scenario.inputs import Refused, TooLarge, read_input, why_unreadable
from sim.scenario.relative import RELATIVE, keep_relative, refers_to_itself

MAX_NODES = 200_000
MAX_NESTING = 100  # mappings and lists inside each other; a scenario needs about 6
MAX_EXTENDS_DEPTH = 16
_SCALARS = (str, int, float, bool, type(None), dt.date)


class _DatesAsText(RoundTripConstructor):
    """Leaves date-like scalars as their text: the schema parses them, so an impossible date
    (2019-02-30) is reported at its line and key rather than as an unlocated YAML error."""


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", RoundTripConstructor.construct_yaml_str)


class _TooDeep(Exception):
    def __init__(self, line: int):
        self.line = line


def _too_deep(line: int | None, path: KeyPath, label: str) -> ScenarioError:
    msg = f"nested more than {MAX_NESTING} levels deep (mappings and lists inside each other)"
    return ScenarioError([Problem(label, line, path, msg)])


class _ShallowScanner(RoundTripScanner):
    """Refuses `[` and `{` nested past MAX_NESTING as it reads them: the scanner looks far
    ahead inside flow collections, at a cost that grows with the square of their depth."""

    def fetch_flow_collection_start(self, *args: Any, **kwargs: Any) -> None:
        if self.flow_level >= MAX_NESTING:
            raise _TooDeep(self.reader.line + 1)
        super().fetch_flow_collection_start(*args, **kwargs)


class _ShallowComposer(Composer):
    """Refuses nesting past MAX_NESTING where it is written: composing is recursive, and
    thousands of levels would end in a RecursionError with no line."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._nesting = getattr(self, "_nesting", 0) + 1
        try:
            if self._nesting > MAX_NESTING:
                raise _TooDeep(self.parser.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1


def _parser() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _DatesAsText
    yaml.Scanner = _ShallowScanner
    yaml.Composer = _ShallowComposer
    return yaml


class LineMap:
    """Where each key path of the merged scenario was written: path -> (file, line)."""

    def __init__(self, root_file: str):
        self.root_file = root_file
        self._where: dict[KeyPath, tuple[str, int]] = {}

    def set(self, path: KeyPath, file: str, line: int) -> None:
        self._where[path] = (file, line)

    def drop(self, prefix: KeyPath) -> None:
        """Forget a subtree (its keys were replaced by a child file)."""
        n = len(prefix)
        for key in [k for k in self._where if k[:n] == prefix]:
            del self._where[key]

    def locate(self, path: KeyPath) -> tuple[str, int | None]:
        """The file and line of `path`, or of its nearest written ancestor."""
        for cut in range(len(path), -1, -1):
            hit = self._where.get(tuple(path[:cut]))
            if hit:
                return hit
        return self.root_file, None

    def problem(
        self, path: KeyPath, message: str, value: object = None, *, show: bool = True
    ) -> Problem:
        """A Problem located at `path`."""
        file, line = self.locate(path)
        if show:
            return Problem(file, line, path, message, value)
        return Problem(file, line, path, message)


def load_tree(path: str | Path) -> tuple[dict[str, Any], LineMap]:
    """Load a scenario file and everything it extends: the merged tree and its line map."""
    fs_path = Path(path)
    lines = LineMap(str(path))
    tree = _load_chain(fs_path, lines, chain=())
    return tree, lines


def root_file(path: str | Path) -> Path:
    """The file at the top of `path`'s chain of `extends` (the file itself if it has none)."""
    fs_path, chain = Path(path), tuple[Path, ...]()
    while True:
        own, own_lines = _load_one(fs_path)
        ref = own.get("extends")
        if ref is None:
            return fs_path
        parent = _resolve_parent(fs_path, ref, own_lines, chain)
        fs_path, chain = parent, (*chain, fs_path.resolve())


def own_tree(path: str | Path) -> tuple[dict[str, Any], Path | None]:
    """What one file itself says (its `extends` removed) and the file it extends, if any."""
    fs_path = Path(path)
    own, own_lines = _load_one(fs_path)
    ref = own.pop("extends", None)
    if ref is None:
        return own, None
    return own, _resolve_parent(fs_path, ref, own_lines, ())


def _load_chain(fs_path: Path, lines: LineMap, chain: tuple[Path, ...]) -> dict[str, Any]:
    label = str(fs_path)
    own, own_lines = _load_one(fs_path)
    parent_ref = own.pop("extends", None)
    if parent_ref is None:
        _copy_lines(own_lines, lines)
        return own
    parent_path = _resolve_parent(fs_path, parent_ref, own_lines, chain)
    parent = _load_chain(parent_path, lines, (*chain, fs_path.resolve()))
    relative = cast(dict[Any, Any], parent).setdefault(RELATIVE, {})
    _merge_into(parent, own, own_lines, lines, prefix=(), relative=relative)
    lines.set((), label, 1)
    return parent


def _resolve_parent(
    fs_path: Path, ref: object, own_lines: LineMap, chain: tuple[Path, ...]
) -> Path:
    if not isinstance(ref, str) or not ref.strip() or "\x00" in ref:
        raise ScenarioError([own_lines.problem(("extends",), "must be a file path", ref)])
    target = (fs_path.parent / ref).resolve()
    if target == fs_path.resolve() or target in chain:
        raise ScenarioError([own_lines.problem(("extends",), "extends itself (a cycle)", ref)])
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError([own_lines.problem(("extends",), "chain of extends too deep", ref)])
    if not target.is_file():
        what = "is a directory" if target.is_dir() else "no such file"
        raise ScenarioError([own_lines.problem(("extends",), f"{what}: {target}", ref)])
    return target


def _copy_lines(src: LineMap, dst: LineMap) -> None:
    for path, (file, line) in src._where.items():
        dst.set(path, file, line)


def _merge_into(
    base: dict[str, Any],
    over: dict[str, Any],
    over_lines: LineMap,
    lines: LineMap,
    prefix: KeyPath,
    relative: dict[str, float],
) -> None:
    """Deep-merge `over` into `base` in place; `null` deletes; line map follows the values;
    a value that refers to its own key (`{like: its.key, times: x}`) stays the extended
    file's, and its factor goes to `relative`."""
    for key, value in over.items():
        path = (*prefix, key)
        if value is None:
            if key not in base:
                _refuse_misspelt_removal(key, path, base, over_lines)
            base.pop(key, None)
            lines.drop(path)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            file, line = over_lines.locate(path)
            lines.set(path, file, line or 1)
            _merge_into(base[key], value, over_lines, lines, path, relative)
        elif refers_to_itself(value, path):
            keep_relative(base, key, value, path, over_lines, lines, relative)
        else:
            base[key] = value
            lines.drop(path)
            for sub, (file, line) in over_lines._where.items():
                if sub[: len(path)] == path:
                    lines.set(sub, file, line)


def _refuse_misspelt_removal(
    key: str, path: KeyPath, base: dict[str, Any], over_lines: LineMap
) -> None:
    """`key: null` removes `key` from the extended file; a key it does not have but nearly
    has is a typo that would otherwise remove nothing, silently."""
    close = difflib.get_close_matches(key, [str(k) for k in base], n=1)
    if close:
        msg = f"null removes a key of the extended file, which has none named {key!r}"
        msg += f"; did you mean {close[0]!r}?"
        raise ScenarioError([over_lines.problem(path, msg, show=False)])


def _load_one(fs_path: Path) -> tuple[dict[str, Any], LineMap]:
    """Parse one file into plain values and its own line map (a fresh copy each call: the
    callers edit what they get)."""
    label = str(fs_path)
    raw = _read_text(fs_path)  # read, and checked, every time: only the parse is kept
    key = (label, raw)
    if key not in _PARSED:
        # `validate` reads a file up to three times (its chain, its root, its own keys), and
        # ruamel's pure-Python parse is most of the command's time
        if len(_PARSED) >= _PARSED_KEPT:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = _parse(raw, label)
    tree, own_lines = _PARSED[key]
    copy = LineMap(label)
    _copy_lines(own_lines, copy)
    return deepcopy(tree), copy


_PARSED: dict[tuple[str, str], tuple[dict[str, Any], LineMap]] = {}
_PARSED_KEPT = 8


def _parse(raw: str, label: str) -> tuple[dict[str, Any], LineMap]:
    try:
        doc = _parser().load(raw)
    except _TooDeep as exc:
        raise _too_deep(exc.line, (), label) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise ScenarioError([Problem(label, line, (), f"YAML syntax error: {msg}")]) from None
    except (YAMLError, ValueError, RecursionError) as exc:
        raise ScenarioError([Problem(label, None, (), f"cannot parse YAML: {exc}")]) from None
    if doc is None:
        raise ScenarioError([Problem(label, 1, (), "file is empty; a scenario is a mapping")])
    own_lines = LineMap(label)
    tree = _to_plain(doc, own_lines, label, (), budget=[MAX_NODES])
    if not isinstance(tree, dict):
        msg = "the top level must be a mapping of keys (name:, horizon:, apps: ...)"
        raise ScenarioError([Problem(label, 1, (), msg, type(tree).__name__)])
    return tree, own_lines


def _read_text(fs_path: Path) -> str:
    label = str(fs_path)
    try:
        data = read_input(fs_path, "scenario file")
    except OSError as exc:
        raise ScenarioError([Problem(label, None, (), why_unreadable(exc))]) from None
    except Refused as exc:
        line = 1 if isinstance(exc, TooLarge) else None
        raise ScenarioError([Problem(label, line, (), str(exc))]) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ScenarioError([Problem(label, line, (), "binary file, not YAML text")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        raise ScenarioError([Problem(label, line, (), msg)]) from None


def _to_plain(node: Any, lines: LineMap, label: str, path: KeyPath, budget: list[int]) -> Any:
    """Copy a ruamel tree into plain values, recording lines, refusing tags and blow-ups."""
    budget[0] -= 1
    if budget[0] < 0:
        msg = f"document too large or aliases expand too far (over {MAX_NODES} values)"
        raise ScenarioError([Problem(label, lines.locate(path)[1], path, msg)])
    if len(path) > MAX_NESTING:  # aliases of aliases nest deeper than anything written
        raise _too_deep(lines.locate(path[:1])[1], path[:1], label)
    if _has_tag(node):
        line = lines.locate(path)[1]
        msg = "YAML tags (like !!python/...) are not allowed; write plain values"
        raise ScenarioError([Problem(label, line, path, msg, str(node.tag.value))])
    if isinstance(node, CommentedMap):
        return _map_to_plain(node, lines, label, path, budget)
    if isinstance(node, CommentedSeq):
        out = []
        for i, item in enumerate(node):
            lines.set((*path, i), label, _line(_positions(node).get(i), lines, path))
            out.append(_to_plain(item, lines, label, (*path, i), budget))
        return out
    if isinstance(node, float) and not math.isfinite(node):
        msg = "must be a finite number (inf, nan and numbers past 1.8e308 are not)"
        raise ScenarioError([Problem(label, lines.locate(path)[1], path, msg, float(node))])
    if isinstance(node, bool | int | float | type(None) | dt.date):
        return _plain_scalar(node)
    if isinstance(node, str) and type(node).__name__ in {"str", "ScalarString"} | _STRING_TYPES:
        return str(node)
    line = lines.locate(path)[1]
    msg = "YAML tags that construct objects are not allowed; write plain values"
    raise ScenarioError([Problem(label, line, path, msg, type(node).__name__)])


_STRING_TYPES = {
    "LiteralScalarString",
    "FoldedScalarString",
    "DoubleQuotedScalarString",
    "SingleQuotedScalarString",
    "PlainScalarString",
}


def _map_to_plain(
    node: CommentedMap, lines: LineMap, label: str, path: KeyPath, budget: list[int]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in node:
        line = _line(_positions(node).get(key), lines, path)
        if not isinstance(key, str):
            msg = "keys must be plain words"
            raise ScenarioError([Problem(label, line, path, msg, key)])
        lines.set((*path, key), label, line)
        out[key] = _to_plain(node[key], lines, label, (*path, key), budget)
    return out


def _has_tag(node: Any) -> bool:
    tag = getattr(node, "tag", None)
    return isinstance(node, CommentedMap | CommentedSeq) and bool(getattr(tag, "value", None))


def _positions(node: Any) -> dict[Any, Any]:
    """ruamel's record of where each key or item was written (may be absent for aliases)."""
    return getattr(node.lc, "data", None) or {}


def _line(position: Any, lines: LineMap, parent: KeyPath) -> int:
    """1-based line of a ruamel position record, or the parent's line if it has none."""
    if position:
        return int(position[0]) + 1
    return lines.locate(parent)[1] or 1


def _plain_scalar(node: Any) -> Any:
    """ruamel's scalar subclasses (ScalarFloat, TimeStamp...) as builtin values."""
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, dt.datetime):
        return node.date() if (node.hour, node.minute, node.second) == (0, 0, 0) else node
    return dt.date(node.year, node.month, node.day)
