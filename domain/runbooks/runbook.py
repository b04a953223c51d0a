"""Remediation runbooks as validated data, and the pure steps from a runbook + an incident to a plan.

A runbook (YAML in `runbooks/`) says which incidents it applies to (`match`), which values it takes from
the incident's alerts (`inputs`, each checked against a pattern) and what to do (`steps`). Alert labels are
attacker-controlled input, so a value reaches a step only after it passed its input's pattern *and* a
project-wide safe-character check; templates may reference nothing else. `resolve_plan` turns a runbook
and an incident into the exact calls a run would make: the workflow input and what `dry-run` prints.
"""

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.alerts.mapping import labels_match
from domain.common.durations import Duration
from domain.incident.severity import Severity
from domain.incident.state import Alert, IncidentState
from domain.policy.model import LabelMatchers

STEP_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"
INPUT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
# Whatever an input's own pattern allows, a value with a shell or template metacharacter, whitespace or a
# path traversal never reaches an executor: defence in depth against a too-lenient pattern.
SAFE_VALUE = re.compile(r"[A-Za-z0-9._:@+=,/-]{0,200}")
TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
SECRET_PREFIX = "secret."

ActionKind = Literal[
    "http", "command", "prometheus_query", "wait", "notify", "approval",
    "feature_flag", "rollback", "rate_limit", "write_block", "scale", "restart",
]
PRESETS: frozenset[str] = frozenset({"feature_flag", "rollback", "rate_limit", "write_block", "scale", "restart"})
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
DEFAULT_ADMIN_ENDPOINT = "admin_api"
DEFAULT_PROMETHEUS_ENDPOINT = "prometheus"


class RunbookError(ValueError):
    """A runbook that cannot run for this incident (e.g. an input failed validation)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ── kind-specific `with` blocks ─────────────────────────────────────────────────────────────────────
class HttpWith(Strict):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    endpoint: str | None = Field(
        default=DEFAULT_ADMIN_ENDPOINT,
        description="Named base URL configured on the worker (INCIDENTFLOW_RUNBOOK_ENDPOINTS); null: `url` is absolute",
    )
    url: str = Field(description="Path under the endpoint (or absolute URL); {{ input }} templates only")
    headers: dict[str, str] = Field(default={}, description="Values may use {{ secret.ENV_NAME }}: read on the worker")
    json_body: Any = Field(default=None, alias="json")
    expect_status: list[int] = Field(default=[], description="Accepted statuses; empty: any 2xx")
    expect_json: dict[str, Any] = Field(default={}, description="Top-level (dotted) fields the response must equal")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL byte (no program can be given one)")
    return value


ProgramText = Annotated[str, AfterValidator(_no_nul)]


class CommandWith(Strict):
    argv: list[ProgramText] = Field(
        min_length=1, description="argv[0] must be in the directory's allowlist.yaml; no shell")


Comparison = Literal["<", "<=", ">", ">=", "==", "!="]


class PrometheusWith(Strict):
    endpoint: str = DEFAULT_PROMETHEUS_ENDPOINT
    query: str = Field(description="PromQL instant query; {{ input }} templates only")
    op: Comparison
    threshold: float
    on_empty: Literal["fail", "pass"] = "fail"


class WaitWith(Strict):
    duration: Duration


class NotifyWith(Strict):
    text: str


class ApprovalWith(Strict):
    prompt: str = "Proceed?"


class FeatureFlagWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    flag: str
    enabled: bool = False


class RollbackWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str
    to_version: str | None = None


class RateLimitWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str
    requests_per_second: int = Field(gt=0)


class WriteBlockWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    database: str
    enabled: bool = True


class ScaleWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str
    replicas: int = Field(ge=0)


class RestartWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str


WITH_MODELS: dict[str, type[Strict]] = {
    "http": HttpWith, "command": CommandWith, "prometheus_query": PrometheusWith, "wait": WaitWith,
    "notify": NotifyWith, "approval": ApprovalWith, "feature_flag": FeatureFlagWith, "rollback": RollbackWith,
    "rate_limit": RateLimitWith, "write_block": WriteBlockWith, "scale": ScaleWith, "restart": RestartWith,
}


def parse_with(kind: str, raw: dict) -> Strict:
    try:
        return WITH_MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        problems = []
        for item in exc.errors():
            where = ".".join(str(p) for p in ("with", *item["loc"]))
            problems.append(f"{where}: {item['msg'].removeprefix('Value error, ')}")
        raise ValueError("; ".join(problems)) from None


def changes_things(kind: str, with_: dict) -> bool:
    if kind in PRESETS or kind == "command":
        return True
    if kind == "http":
        return str(with_.get("method", "GET")).upper() not in READ_ONLY_METHODS
    return False


# ── runbook schema ──────────────────────────────────────────────────────────────────────────────────
class InputSpec(Strict):
    source: str = Field(
        alias="from", description="label:NAME | annotation:NAME | service | severity | incident_id",
    )
    pattern: str = Field(description="Regular expression the whole value must match, e.g. ^[a-z0-9-]{1,40}$")
    default: str | None = None
    description: str = ""

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        kind, _, name = value.partition(":")
        if kind in ("label", "annotation") and name:
            return value
        if value in ("service", "severity", "incident_id"):
            return value
        raise ValueError(f"unknown source {value!r}: use label:NAME, annotation:NAME, service, severity or incident_id")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regex {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _default_matches(self) -> "InputSpec":
        if self.default is not None and not re.fullmatch(self.pattern, self.default):
            raise ValueError(f"default {self.default!r} does not match the pattern {self.pattern}")
        return self


class Match(Strict):
    labels: LabelMatchers = Field(
        default={}, description="Label matchers on a firing alert; a value starting with '~' is a regex (full match)"
    )
    services: list[str] = Field(default=[], description="The incident's service is one of these (empty: any)")
    severities: list[Severity] = Field(default=[], description="The incident's severity is one of these (empty: any)")


class Action(Strict):
    """Something a step, its rollback or its verification does."""

    kind: ActionKind
    with_: dict[str, Any] = Field(default={}, alias="with")
    timeout: Duration = timedelta(seconds=30)
    retries: int = Field(default=2, ge=0, le=20, description="Extra attempts after a failure (same idempotency key)")
    task_queue: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$",
        description="Run on workers of this task queue (where the tool lives); default: the incident's queue",
    )

    @model_validator(mode="after")
    def _valid_with(self) -> "Action":
        parse_with(self.kind, self.with_)
        return self


class Verify(Action):
    kind: Literal["prometheus_query", "http"]
    within: Duration = Field(default=timedelta(minutes=2), description="How long to keep checking before failing")
    every: Duration = Field(default=timedelta(seconds=15), description="Pause between checks")
    retries: int = Field(default=1, ge=0, le=20)


class Step(Action):
    id: str = Field(pattern=STEP_ID)
    description: str = ""
    approval: Literal["none", "required"] | None = Field(
        default=None, description="Default: required for a kind that changes things, none for reads"
    )
    on_failure: Literal["abort", "continue", "rollback"] = "rollback"
    rollback: Action | None = Field(default=None, description="Undoes this step; presets derive one when obvious")
    verify: Verify | None = None
    if_failed: str | None = Field(default=None, description="Run only if this earlier step failed (an 'else' branch)")

    @property
    def needs_approval(self) -> bool:
        if self.kind == "approval":
            return True
        if self.approval is not None:
            return self.approval == "required"
        return changes_things(self.kind, self.with_)


class Runbook(Strict):
    name: str = Field(pattern=NAME)
    description: str
    match: Match = Match()
    inputs: dict[Annotated[str, Field(pattern=INPUT_NAME)], InputSpec] = {}
    approval_timeout: Duration | None = Field(default=None, description="Overrides the policy's approval timeout")
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Runbook":
        seen: list[str] = []
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r}")
            if step.if_failed is not None and step.if_failed not in seen:
                raise ValueError(f"step {step.id}: if_failed {step.if_failed!r} is not an earlier step")
            seen.append(step.id)
            for where, text in _template_strings(step):
                for name in TEMPLATE.findall(text):
                    if name.startswith(SECRET_PREFIX):
                        if not where.startswith("headers"):
                            raise ValueError(f"step {step.id}: {where}: secrets may only be used in headers")
                    elif name not in self.inputs:
                        raise ValueError(f"step {step.id}: {where}: {{{{ {name} }}}} is not a declared input")
        return self


def _template_strings(step: Step):
    actions: list[tuple[str, Action]] = [("", step)]
    if step.rollback:
        actions.append(("rollback.", step.rollback))
    if step.verify:
        actions.append(("verify.", step.verify))
    for prefix, action in actions:
        yield from ((prefix + path, text) for path, text in _strings(action.with_, "with"))


def _strings(value: Any, path: str):
    if isinstance(value, str):
        yield path.removeprefix("with."), value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}")


class Allowlist(Strict):
    """`runbooks/allowlist.yaml`: the executables `command` steps may run (absolute, or relative to the dir)."""

    executables: list[ProgramText] = []


# ── matching and inputs ─────────────────────────────────────────────────────────────────────────────


def _firing(state: IncidentState) -> list[Alert]:
    return [state.alerts[k] for k in sorted(state.alerts) if state.alerts[k].status == "firing"]


def matching_alert(runbook: Runbook, state: IncidentState) -> Alert | None:
    return next((a for a in _firing(state) if labels_match(runbook.match.labels, a.labels)), None)


def matches(runbook: Runbook, state: IncidentState) -> bool:
    rule = runbook.match
    if rule.services and state.service not in rule.services:
        return False
    if rule.severities and state.severity not in rule.severities:
        return False
    if rule.labels:
        return matching_alert(runbook, state) is not None
    return bool(rule.services or rule.severities)  # a runbook with no matchers at all only runs by hand


def _short(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"


def resolve_inputs(runbook: Runbook, state: IncidentState) -> dict[str, str]:
    """Every input's value, or RunbookError naming each input that is missing or fails validation."""
    alert = matching_alert(runbook, state) if runbook.match.labels else next(iter(_firing(state)), None)
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in runbook.inputs.items():
        kind, _, key = spec.source.partition(":")
        value: str | None
        if kind == "label":
            value = alert.labels.get(key) if alert else None
        elif kind == "annotation":
            value = alert.annotations.get(key) if alert else None
        elif kind == "service":
            value = state.service
        elif kind == "severity":
            value = state.severity.value
        else:
            value = state.id
        if value is None:
            value = spec.default
        if value is None:
            problems.append(f"input {name}: {spec.source} is missing and has no default")
        elif not SAFE_VALUE.fullmatch(value) or ".." in value:
            problems.append(f"input {name}: {spec.source} value {_short(value)} contains characters that are never "
                            "allowed (whitespace, quotes, shell or template syntax)")
        elif not re.fullmatch(spec.pattern, value):
            problems.append(f"input {name}: {spec.source} value {_short(value)} does not match {spec.pattern}")
        else:
            values[name] = value
    if problems:
        raise RunbookError(problems)
    return values


# ── the resolved plan ───────────────────────────────────────────────────────────────────────────────
class HttpCall(BaseModel):
    method: str
    endpoint: str | None
    url: str
    headers: dict[str, str] = {}
    json_body: Any = None
    expect_status: list[int] = []
    expect_json: dict[str, Any] = {}


class PromQuery(BaseModel):
    endpoint: str
    query: str
    op: Comparison
    threshold: float
    on_empty: Literal["fail", "pass"] = "fail"


class ResolvedAction(BaseModel):
    """One call with every template filled in: exactly what the executor will do."""

    kind: ActionKind
    summary: str
    timeout_seconds: float
    retries: int
    task_queue: str | None = None
    http: HttpCall | None = None
    argv: list[str] | None = None
    prometheus: PromQuery | None = None
    wait_seconds: float | None = None
    text: str | None = None


class ResolvedVerify(BaseModel):
    action: ResolvedAction
    within_seconds: float
    every_seconds: float


class ResolvedStep(BaseModel):
    id: str
    kind: ActionKind
    description: str = ""
    approval: bool
    changes: bool
    on_failure: Literal["abort", "continue", "rollback"]
    if_failed: str | None = None
    action: ResolvedAction
    verify: ResolvedVerify | None = None
    rollback: ResolvedAction | None = None


class RunbookPlan(BaseModel):
    runbook: str
    description: str
    directory: str
    inputs: dict[str, str]
    approval_timeout_seconds: float | None = None
    steps: list[ResolvedStep]

    def step(self, step_id: str) -> ResolvedStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


def render(text: str, values: dict[str, str], url: bool = False) -> str:
    """Fill `{{ input }}` templates; secrets stay as references for the worker to read."""

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith(SECRET_PREFIX):
            return match.group(0)
        return quote(values[name], safe="") if url else values[name]

    return TEMPLATE.sub(fill, text)


def _render_any(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return render(value, values)
    if isinstance(value, dict):
        return {k: _render_any(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_render_any(v, values) for v in value]
    return value


def _preset_call(kind: str, spec: Strict, values: dict[str, str]) -> tuple[HttpCall, HttpCall | None]:
    """A preset as the admin-API call it stands for, and the call that undoes it when that is obvious."""

    def path(template: str, **parts: str) -> str:
        return template.format(**{k: quote(render(v, values), safe="") for k, v in parts.items()})

    endpoint = spec.endpoint
    match kind:
        case "feature_flag":
            url = path("/flags/{flag}", flag=spec.flag)
            return (HttpCall(method="PUT", endpoint=endpoint, url=url, json_body={"enabled": spec.enabled}),
                    HttpCall(method="PUT", endpoint=endpoint, url=url, json_body={"enabled": not spec.enabled}))
        case "rollback":
            url = path("/services/{service}/rollback", service=spec.service)
            body = {"to_version": render(spec.to_version, values)} if spec.to_version else {}
            return HttpCall(method="POST", endpoint=endpoint, url=url, json_body=body), None
        case "rate_limit":
            url = path("/services/{service}/rate-limit", service=spec.service)
            return (HttpCall(method="PUT", endpoint=endpoint, url=url,
                             json_body={"requests_per_second": spec.requests_per_second}),
                    HttpCall(method="DELETE", endpoint=endpoint, url=url))
        case "write_block":
            url = path("/databases/{database}/write-block", database=spec.database)
            return (HttpCall(method="PUT", endpoint=endpoint, url=url, json_body={"enabled": spec.enabled}),
                    HttpCall(method="PUT", endpoint=endpoint, url=url, json_body={"enabled": not spec.enabled}))
        case "scale":
            url = path("/services/{service}/replicas", service=spec.service)
            return HttpCall(method="PUT", endpoint=endpoint, url=url, json_body={"replicas": spec.replicas}), None
        case "restart":
            return HttpCall(method="POST", endpoint=endpoint, url=path("/services/{service}/restart",
                                                                      service=spec.service), json_body={}), None
    raise ValueError(f"unknown preset {kind}")


def _summary(call: HttpCall) -> str:
    where = f"{call.endpoint}:{call.url}" if call.endpoint else call.url
    body = f" {call.json_body}" if call.json_body not in (None, {}) else ""
    return f"{call.method} {where}{body}"


def resolve_action(action: Action, values: dict[str, str]) -> tuple[ResolvedAction, ResolvedAction | None]:
    """The action with its inputs filled in, and the derived undo action for presets that have one."""
    spec = parse_with(action.kind, action.with_)
    common = {"kind": action.kind, "timeout_seconds": action.timeout.total_seconds(), "retries": action.retries,
              "task_queue": action.task_queue}
    derived = None
    if action.kind in PRESETS:
        call, undo = _preset_call(action.kind, spec, values)
        resolved = ResolvedAction(summary=f"{action.kind}: {_summary(call)}", http=call, **common)
        if undo is not None:
            derived = ResolvedAction(summary=f"undo {action.kind}: {_summary(undo)}", http=undo,
                                     **{**common, "kind": "http"})
        return resolved, derived
    match spec:
        case HttpWith():
            call = HttpCall(
                method=spec.method, endpoint=spec.endpoint, url=render(spec.url, values, url=True),
                headers={k: render(v, values) for k, v in spec.headers.items()},
                json_body=_render_any(spec.json_body, values), expect_status=spec.expect_status,
                expect_json=_render_any(spec.expect_json, values),
            )
            return ResolvedAction(summary=_summary(call), http=call, **common), None
        case CommandWith():
            argv = [render(arg, values) for arg in spec.argv]
            return ResolvedAction(summary="run " + " ".join(argv), argv=argv, **common), None
        case PrometheusWith():
            query = PromQuery(endpoint=spec.endpoint, query=render(spec.query, values), op=spec.op,
                              threshold=spec.threshold, on_empty=spec.on_empty)
            return ResolvedAction(summary=f"prometheus: {query.query} {query.op} {query.threshold:g}",
                                  prometheus=query, **common), None
        case WaitWith():
            seconds = spec.duration.total_seconds()
            return ResolvedAction(summary=f"wait {seconds:g}s", wait_seconds=seconds, **common), None
        case NotifyWith():
            text = render(spec.text, values)
            return ResolvedAction(summary=f"notify: {text}", text=text, **common), None
        case ApprovalWith():
            text = render(spec.prompt, values)
            return ResolvedAction(summary=f"approval: {text}", text=text, **common), None
    raise ValueError(f"unknown step kind {action.kind}")


def resolve_plan(runbook: Runbook, state: IncidentState, directory: str) -> RunbookPlan:
    """Validate the inputs against this incident and fill in every step. Raises RunbookError."""
    values = resolve_inputs(runbook, state)
    steps = []
    for step in runbook.steps:
        action, derived_undo = resolve_action(step, values)
        rollback = resolve_action(step.rollback, values)[0] if step.rollback else derived_undo
        verify = None
        if step.verify:
            check, _ = resolve_action(step.verify, values)
            verify = ResolvedVerify(action=check, within_seconds=step.verify.within.total_seconds(),
                                    every_seconds=step.verify.every.total_seconds())
        steps.append(ResolvedStep(
            id=step.id, kind=step.kind, description=step.description, approval=step.needs_approval,
            changes=changes_things(step.kind, step.with_), on_failure=step.on_failure, if_failed=step.if_failed,
            action=action, verify=verify, rollback=rollback,
        ))
    timeout = runbook.approval_timeout.total_seconds() if runbook.approval_timeout else None
    return RunbookPlan(runbook=runbook.name, description=runbook.description, directory=directory, inputs=values,
                       approval_timeout_seconds=timeout, steps=steps)


# ── judging outcomes (used by the executors; pure) ─────────────────────────────────────────────────
def compare(value: float, op: Comparison, threshold: float) -> bool:
    return {
        "<": value < threshold, "<=": value <= threshold, ">": value > threshold, ">=": value >= threshold,
        "==": value == threshold, "!=": value != threshold,
    }[op]


def judge_prometheus(query: PromQuery, body: dict) -> tuple[bool, str]:
    """An instant-query answer passes when every sample satisfies the comparison."""
    if body.get("status") != "success":
        raise ValueError(f"prometheus answered {body.get('status')}: {body.get('error', 'no error text')}")
    data = body.get("data", {})
    result = data.get("result", [])
    if data.get("resultType") == "scalar":
        samples = [float(result[1])]
    else:
        samples = [float(series["value"][1]) for series in result]
    if not samples:
        return query.on_empty == "pass", f"{query.query}: no data ({'pass' if query.on_empty == 'pass' else 'fail'})"
    passed = all(compare(v, query.op, query.threshold) for v in samples)
    shown = ", ".join(f"{v:g}" for v in samples[:5])
    return passed, f"{query.query} = {shown} ({'ok' if passed else 'not'} {query.op} {query.threshold:g})"


def _dig(body: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body


def judge_http(call: HttpCall, status: int, body: Any) -> tuple[bool, str]:
    ok_status = status in call.expect_status if call.expect_status else 200 <= status < 300
    if not ok_status:
        return False, f"{call.method} {call.url} → HTTP {status}"
    for key, expected in call.expect_json.items():
        actual = _dig(body, key)
        if actual != expected:
            return False, f"{call.method} {call.url} → {key} is {actual!r}, expected {expected!r}"
    return True, f"{call.method} {call.url} → HTTP {status}"


# ── a run: the child workflow's input, its messages to and from the incident ──────────────────────
class RunbookRun(BaseModel):
    """RunbookWorkflow input: the resolved plan and the rules it runs under. No secrets (history)."""

    incident_id: str
    parent_workflow_id: str
    plan: RunbookPlan
    started_by: str
    drill: bool = False
    simulate: dict[str, list[Literal["ok", "fail"]]] = {}
    approval_timeout_seconds: float = 600
    approval_escalations: int = 2


class StepDecision(BaseModel):
    step: str
    approve: bool
    by: str
    reason: str | None = None


class CancelRequest(BaseModel):
    by: str
    reason: str | None = None


EventKind = Literal["started", "step", "waiting", "escalate", "skipped", "rollback", "note", "finished"]


class RunbookEvent(BaseModel):
    """What a run tells its incident (signal `runbook_event`): it becomes a `runbook` timeline entry."""

    workflow_id: str
    runbook: str
    kind: EventKind
    text: str
    step: str | None = None
    ok: bool | None = None
    status: str | None = Field(default=None, description="For `finished`: the run's final status")


class StepRecord(BaseModel):
    id: str
    outcome: Literal["ok", "failed", "skipped", "rejected", "timed_out", "rolled_back", "rollback_failed"]
    detail: str


class RunbookResult(BaseModel):
    runbook: str
    status: str
    text: str
    steps: list[StepRecord] = []
    verified: list[str] = Field(default=[], description="What each passed verification checked")


def apply_event(state: IncidentState, event: RunbookEvent, now) -> bool:
    """Fold a run's event into the incident; True when the incident should escalate one tier."""
    from domain.runbooks.status import FINISHED

    run = next((r for r in state.runbooks if r.workflow_id == event.workflow_id), None)
    if run is not None:
        if event.kind == "waiting" and event.step and (gate := run.gate(event.step)) and gate.state == "pending":
            gate.state = "waiting"
        if event.kind == "step" and event.step and (gate := run.gate(event.step)) and gate.state == "approved":
            gate.state = "done"
        if event.kind == "finished" and event.status and run.status not in FINISHED:
            run.status = event.status  # type: ignore[assignment]
            run.detail = event.text
    state.note(now, "runbook", f"runbook:{event.runbook}", event.text)
    return event.kind == "escalate"


def runbook_json_schema() -> dict:
    """JSON Schema of a runbook file for editors, with each step kind's `with` block spelled out."""
    schema = Runbook.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    conditions = []
    for kind, model in WITH_MODELS.items():
        sub = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        defs[f"{model.__name__}"] = sub
        conditions.append({
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"with": {"$ref": f"#/$defs/{model.__name__}"}}},
        })
    for name in ("Action", "Verify", "Step"):
        defs[name]["allOf"] = conditions
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "incidentflow runbook"
    return schema
