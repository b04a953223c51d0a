"""A runbook file as validated data: which incidents it applies to (`match`), which values it takes from the
incident (`inputs`, each checked against a pattern) and what to do (`steps`). Templates may reference declared
inputs only, and secrets only in headers (docs/runbooks.md)."""

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from domain.alerts.policy import LabelMatchers
from domain.common.durations import Duration
from domain.common.models import Strict
from domain.incident.severity import Severity
from domain.runbooks.actions import WITH_MODELS, ActionKind, ProgramText, changes_things, parse_with

STEP_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"
NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"
INPUT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
SECRET_PREFIX = "secret."


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
