"""R4 property tests on every parser of outside input: mutated documents (values replaced by random JSON, keys
deleted or added, YAML text corrupted, non-UTF-8 bytes) either parse or are refused with the parser's own
error — a pydantic ValidationError for payloads and decisions, `file: path: reason` lines for policy, runbook
and drill YAML — never another exception."""

import copy
import json
import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from adapters.policy_files import PolicyError, load_policy
from adapters.runbook_files import load_runbooks
from cli.drill_runner import ScenarioError, load_scenario
from domain.incident.decisions import DECISION_ADAPTER, DECISION_KINDS
from gateway.mapping import from_alertmanager, from_generic, from_grafana, from_pagerduty_trigger
from gateway.payloads import AlertmanagerPayload, GenericEvent, GrafanaPayload, PagerDutyEvent
from testkit.environment import POLICY_DIR, PROJECT
from testkit.gateway import example

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
RUNBOOK_DIR = PROJECT / "runbooks"
DRILL_DIR = PROJECT / "drills"

TRICKY_STRINGS = ["", " ", "-1s", "0s", "999999999d", "1e309", "sev1", "SEV1", "null", "~", "{{ x }}", "{}",
                  "$(id)", "../../etc/passwd", "\x00", "\ud7ff", "x" * 5000, "5m", "P1D", "true", "2026-13-45"]
scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20) | st.sampled_from(TRICKY_STRINGS))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8) | st.sampled_from(TRICKY_STRINGS[:12]), inner, max_size=3),
                      max_leaves=6)


def node_paths(node, here=()):
    yield here
    if isinstance(node, dict):
        for key, child in node.items():
            yield from node_paths(child, (*here, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from node_paths(child, (*here, index))


def _parent(doc, path):
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw, original):
    """The document with 1–4 random edits: a node replaced by random data, deleted, or given an unknown key."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(node_paths(doc))))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if not path:
            if action == "replace":
                doc = draw(values)
            continue
        parent, last = _parent(doc, path), path[-1]
        if action == "replace":
            parent[last] = draw(values)
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
        else:
            parent.append(draw(values))
    return doc


@st.composite
def yaml_bytes(draw, original):
    """A mutated document dumped to YAML, sometimes with its text corrupted or non-UTF-8 bytes inserted."""
    text = yaml.safe_dump(draw(mutated(original)), allow_unicode=True, sort_keys=False).encode()
    corruption = draw(st.sampled_from(["none", "none", "insert", "truncate", "bytes"]))
    if corruption == "insert":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from([b":", b"- ", b"{", b"[", b"&a", b"*a", b"!!python/object ", b"\t",
                                                 b"'", b'"', b"? ", b"%YAML 9\n", b"\n  "])) + text[at:]
    elif corruption == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    elif corruption == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=4).filter(lambda b: not _utf8(b))) + text[at:]
    return text


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def assert_located(problems: list[str], file: Path) -> None:
    """Every problem is a `file: where: reason` line naming the file."""
    assert problems
    for line in problems:
        assert re.match(rf"^{re.escape(str(file))}: \S[^\n]*: \S", line), line


# ── policy YAML ──────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("name", ["incident-management-policy.yaml", "oncall-escalation-policy.yaml"])
def test_mutated_policy_files_load_or_fail_with_file_path_reason_lines(name):
    original = _load_yaml(POLICY_DIR / name)

    @EXAMPLES
    @given(data=yaml_bytes(original))
    def check(data):
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            for file in POLICY_DIR.glob("*.yaml"):
                shutil.copy(file, directory / file.name)
            (directory / name).write_bytes(data)
            try:
                load_policy(directory)
            except PolicyError as exc:
                assert_located(exc.problems, directory / name)

    check()


def test_a_policy_file_with_non_utf8_bytes_names_the_file_and_position(tmp_path):
    for file in POLICY_DIR.glob("*.yaml"):
        shutil.copy(file, tmp_path / file.name)
    target = tmp_path / "oncall-escalation-policy.yaml"
    target.write_bytes(target.read_bytes()[:40] + b"\xff\xfe" + target.read_bytes()[40:])
    with pytest.raises(PolicyError) as refused:
        load_policy(tmp_path)
    assert refused.value.problems == [f"{target}: byte 40: not UTF-8 text (invalid start byte)"]


# ── runbook YAML ─────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("name", sorted(p.name for p in RUNBOOK_DIR.glob("*.yaml")))
def test_mutated_runbooks_load_or_are_listed_as_problems_naming_the_file(name):
    original = _load_yaml(RUNBOOK_DIR / name)

    @settings(EXAMPLES, max_examples=40)
    @given(data=yaml_bytes(original))
    def check(data):
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            shutil.copytree(RUNBOOK_DIR, directory, dirs_exist_ok=True)
            (directory / name).write_bytes(data)
            result = load_runbooks(directory)
            if name == "allowlist.yaml":  # command runbooks may then be refused too, each naming its own file
                for line in result.problems:
                    assert re.match(rf"^{re.escape(tmp)}/[\w.-]+\.yaml: \S[^\n]*: \S", line), line
                return
            others = len(list(RUNBOOK_DIR.glob("*.yaml"))) - 1  # every file but the mutated one, allowlist incl.
            if result.problems:
                assert_located(result.problems, directory / name)
                assert len(result.runbooks) == others - 1
            else:
                assert len(result.runbooks) == others

    check()


def test_a_nul_byte_in_an_allowlisted_executable_is_a_located_problem_not_a_crash(tmp_path):
    """Found by the test above: `executables: ["a\\0b"]` crashed the loader (Path.resolve: embedded null byte)."""
    shutil.copytree(RUNBOOK_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "allowlist.yaml").write_text('executables: ["bin/a\\0b"]\n', encoding="utf-8")
    result = load_runbooks(tmp_path)
    assert f"{tmp_path}/allowlist.yaml: executables.0: must not contain a NUL byte (no program can be given one)" \
        in result.problems


# ── drill scenario YAML ──────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("name", sorted(p.name for p in DRILL_DIR.glob("*.yaml")))
def test_mutated_drill_scenarios_load_or_fail_with_file_path_reason_lines(name):
    original = _load_yaml(DRILL_DIR / name)

    @settings(EXAMPLES, max_examples=40)
    @given(data=yaml_bytes(original))
    def check(data):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            try:
                load_scenario(path)
            except ScenarioError as exc:
                assert_located(exc.problems, path)

    check()


# ── alert payloads ───────────────────────────────────────────────────────────────────────────────────
PAYLOADS = [
    ("alertmanager-firing.json", AlertmanagerPayload, from_alertmanager),
    ("alertmanager-resolved.json", AlertmanagerPayload, from_alertmanager),
    ("grafana-firing.json", GrafanaPayload, from_grafana),
    ("generic-firing.json", GenericEvent, from_generic),
    ("pagerduty-trigger.json", PagerDutyEvent, lambda event: from_pagerduty_trigger(event, "dedup")),
]


@pytest.mark.parametrize("name, model, to_group", PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_mutated_alert_payloads_validate_or_raise_validation_error_and_valid_ones_map(name, model, to_group):
    original = example(name)

    @settings(EXAMPLES, max_examples=300)
    @given(document=mutated(original))
    def check(document):
        body = json.dumps(document, allow_nan=False) if _finite(document) else None
        try:
            payload = model.model_validate_json(body) if body else model.model_validate(document)
        except ValidationError:
            return
        if model is PagerDutyEvent and payload.payload is None:
            return  # the route answers 422 for a trigger without payload (test_gateway_rejections.py)
        group = to_group(payload)
        group.digest()
        group.snapshot(datetime.now(UTC))
        group.start("inc-1")

    check()


def _finite(document) -> bool:
    try:
        json.dumps(document, allow_nan=False)
    except ValueError:
        return False
    return True


# ── decisions ────────────────────────────────────────────────────────────────────────────────────────
SAMPLE_DECISIONS = [
    {"kind": "acknowledge", "by": "alice"},
    {"kind": "assign_role", "by": "alice", "role": "incident_commander", "person": "bob"},
    {"kind": "set_severity", "by": "alice", "severity": "SEV1", "reason": "worse"},
    {"kind": "add_note", "by": "alice", "text": "looking"},
    {"kind": "resolve", "by": "alice", "summary": "fixed"},
    {"kind": "approve_step", "by": "alice", "runbook": "payment-errors", "step": "restart"},
    {"kind": "reject_step", "by": "alice", "runbook": "payment-errors", "step": "restart", "reason": "no"},
    {"kind": "post_update", "by": "alice", "text": "still down"},
]


@settings(EXAMPLES, max_examples=500)
@given(document=st.sampled_from(SAMPLE_DECISIONS).flatmap(mutated) | values
       | st.fixed_dictionaries({"kind": st.sampled_from(DECISION_KINDS)}, optional={"by": values, "text": values}))
def test_any_decision_document_is_a_decision_or_a_validation_error(document):
    try:
        decision = DECISION_ADAPTER.validate_python(document)
    except ValidationError:
        return
    assert decision.kind in DECISION_KINDS
    assert DECISION_ADAPTER.validate_json(DECISION_ADAPTER.dump_json(decision)) == decision
