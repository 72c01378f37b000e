"""Loading a scenario: YAML -> merged tree -> validated `Scenario`, or located problems.

This is the one entrance for scenario files. Schema errors from pydantic are translated into
`file:line: key.path: message (got X)` problems, with a suggestion for misspelt keys; then the
cross-checks of `crosschecks.py` run on the whole scenario.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from sim.errors import KeyPath, Problem, ScenarioError, missing
from sim.scenario import schema
from sim.scenario.crosschecks import check_scenario
from sim.scenario.references import resolve_references
from sim.scenario.schema import Scenario
from sim.scenario.yamlio import LineMap, load_tree


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge (`extends`) and validate a scenario file; raise ScenarioError if bad."""
    tree, lines = load_tree(path)
    if lines.locate(("name",))[0] != str(path):  # a file that does not name itself
        tree["name"] = Path(path).stem
        lines.set(("name",), str(path), 1)
    return scenario_from_tree(tree, lines)


def scenario_from_dict(tree: dict[str, Any], label: str = "<memory>") -> Scenario:
    """Validate an in-memory scenario tree (as YAML would give it); raise ScenarioError."""
    return scenario_from_tree(tree, LineMap(label))


def scenario_from_tree(tree: dict[str, Any], lines: LineMap) -> Scenario:
    """Validate a scenario tree whose keys `lines` locates (a file's tree, perhaps with
    values changed); raise ScenarioError with every problem found."""
    scenario = validate_tree(tree, lines)
    problems = check_scenario(scenario, lines)
    if problems:
        raise ScenarioError(problems)
    return scenario


def validate_tree(tree: dict[str, Any], lines: LineMap) -> Scenario:
    """Validate a merged tree against the schema, translating errors to located problems."""
    tree = resolve_references(tree, lines)
    try:
        return Scenario.model_validate(tree)
    except ValidationError as exc:
        raise ScenarioError([pydantic_problem(err, tree, lines) for err in exc.errors()]) from None


def scenario_hash(sc: Scenario) -> str:
    """A content hash of the resolved scenario (what a run actually used)."""
    canon = json.dumps(sc.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def pydantic_problem(err: Any, tree: dict[str, Any], lines: LineMap) -> Problem:
    """One of pydantic's validation errors as a Problem at its file, line and key (every
    loader of a YAML file kind reports its schema's errors through this)."""
    path = _input_path(err["loc"], tree)
    kind = err["type"]
    if kind == "extra_forbidden":
        return lines.problem(
            path, _unknown_key_message(str(path[-1]), path, tree), missing(), show=False
        )
    if kind == "missing":
        return lines.problem(path, "required key is missing", show=False)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        valid = ", ".join(schema.EVENT_TYPES)
        got = err.get("ctx", {}).get("tag")
        close = difflib.get_close_matches(str(got), schema.EVENT_TYPES, n=1) if got else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        missing_type = f"missing; one of: {valid}" + _other_event_hint(path, tree)
        message = f"unknown event type; {hint}valid: {valid}" if got else missing_type
        return lines.problem((*path, "type"), message, got, show=bool(got))
    message = err["msg"].removeprefix("Value error, ")  # our validators' own words
    message = message[0].lower() + message[1:]
    return lines.problem(path, message, err.get("input"))


def _other_event_hint(path: KeyPath, tree: dict[str, Any]) -> str:
    """For an event without a type: the name of an event it may have meant to change (a
    misspelt name in a file that extends another makes a new, typeless event)."""
    timeline = tree.get("timeline")
    if len(path) != 2 or path[0] != "timeline" or not isinstance(timeline, dict):
        return ""
    others = [str(k) for k in timeline if k != path[1]]
    close = difflib.get_close_matches(str(path[1]), others, n=1)
    return f"; or did you mean to change the event {close[0]!r}?" if close else ""


def _input_path(loc: tuple[Any, ...], tree: dict[str, Any]) -> KeyPath:
    """Drop the parts of a pydantic loc that are not keys of the input (union tags etc.)."""
    path: list[str | int] = []
    node: Any = tree
    for i, part in enumerate(loc):
        is_last = i == len(loc) - 1
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        elif not is_last:
            continue
        path.append(part)
    return tuple(path)


def _unknown_key_message(key: str, path: KeyPath, tree: dict[str, Any]) -> str:
    valid = _valid_keys(path[:-1], tree)
    close = difflib.get_close_matches(key, valid or _ALL_KEYS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = f" valid keys here: {', '.join(sorted(valid))}" if valid else ""
    return f"unknown key {key!r}{hint}{listing}"


def _valid_keys(parent: KeyPath, tree: dict[str, Any]) -> list[str]:
    """The field names allowed at `parent`, found by walking the schema along the path."""
    model: Any = Scenario
    node: Any = tree
    for part in parent:
        node = node.get(part) if isinstance(node, dict) else None
        model = _child_model(model, part, node)
        if model is None:
            return []
    is_model = isinstance(model, type) and issubclass(model, BaseModel)
    return list(model.model_fields) if is_model else []


def _child_model(model: Any, part: str | int, node: Any) -> Any:
    if model is Scenario and part == "timeline":
        return "timeline"
    if model == "timeline":
        kind = node.get("type") if isinstance(node, dict) else None
        return _EVENT_MODELS.get(kind) if isinstance(kind, str) else None
    if isinstance(model, tuple):  # ("map", value model): any key leads to the value model
        return cast(tuple[str, Any], model)[1]
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or not isinstance(part, str):
        return None
    field = model.model_fields.get(part)
    if field is None:
        return None
    return _model_in(field.annotation)


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args: tuple[Any, ...] = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is dict and len(args) == 2:
        inner = _model_in(args[1])
        return ("map", inner) if inner else None
    for arg in args:
        found = _model_in(arg)
        if found:
            return found
    return None


_EVENT_MODELS: dict[str, type[BaseModel]] = {
    "launch": schema.LaunchEvent,
    "delist": schema.DelistEvent,
    "merge": schema.MergeEvent,
    "release": schema.ReleaseEvent,
    "release_cadence": schema.ReleaseCadenceEvent,
    "campaign": schema.CampaignEvent,
    "edition": schema.EditionEvent,
    "channel": schema.ChannelEvent,
}


def _all_keys() -> list[str]:
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj is not BaseModel:
            names.update(obj.model_fields)
    return sorted(names)


_ALL_KEYS = _all_keys()
