"""A runbook and an incident turned into the exact calls a run would make: the RunbookWorkflow's input and what
`incident runbook dry-run` prints (docs/runbooks.md)."""

import re
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel

from domain.common.models import Strict
from domain.incident.state import IncidentState
from domain.runbooks.actions import (
    PRESETS,
    ActionKind,
    ApprovalWith,
    CommandWith,
    Comparison,
    HttpWith,
    NotifyWith,
    PrometheusWith,
    WaitWith,
    changes_things,
    parse_with,
)
from domain.runbooks.inputs import resolve_inputs
from domain.runbooks.schema import SECRET_PREFIX, TEMPLATE, Action, Runbook


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
