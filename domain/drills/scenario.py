"""A tabletop drill's scenario file as validated data: how the incident starts, the scripted events, simulated
runbook outcomes and what is expected (docs/drills.md). Offsets (`at`) count from the drill's start."""

import hashlib
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails

from domain.common.durations import Duration, format_duration
from domain.common.models import Strict
from domain.common.validation_errors import describe_errors
from domain.incident.decisions import DECISION_KINDS, Decision
from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from domain.incident.state import Alert
from domain.policy.model import Policy

NAME = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
Handle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
StepResult = Literal["ok", "fail"]
DEFAULT_TOLERANCE = timedelta(seconds=5)


class AlertSpec(Strict):
    """An Alertmanager-style alert."""

    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = {}

    def fingerprint(self) -> str:
        canonical = "\x1f".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_alert(self, status: Literal["firing", "resolved"] = "firing") -> Alert:
        return Alert(fingerprint=self.fingerprint(), status=status, labels=self.labels,
                     annotations=self.annotations)


class DeclareSpec(Strict):
    service: Handle
    severity: Severity
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    by: Handle
    impact: str | None = None


class StartSpec(Strict):
    alert: AlertSpec | None = None
    declare: DeclareSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "StartSpec":
        if (self.alert is None) == (self.declare is None):
            raise ValueError("give exactly one of alert | declare")
        return self


EVENT_KEYS = ("at", "do", "alert_resolved", "alert_firing", "decision")


class Event(Strict):
    """One scripted moment: a decision (`do:` is the Decision kind, the other keys its fields), an alert
    that stops firing (`alert_resolved:` label matchers), or a new/refiring alert (`alert_firing:`)."""

    at: Duration = Field(description="Offset from the drill's start, e.g. 7m")
    do: str | None = Field(default=None, description=f"A decision kind: {', '.join(DECISION_KINDS)}")
    alert_resolved: dict[str, str] | None = Field(
        default=None, description="Labels that select the drill's alerts that stop firing")
    alert_firing: AlertSpec | None = None
    decision: Decision | None = Field(default=None, description="Built from `do:` and the event's other keys")

    @model_validator(mode="before")
    @classmethod
    def _collect_decision_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "do" not in data or "decision" in data:
            return data
        fields = {k: v for k, v in data.items() if k not in EVENT_KEYS}
        kept = {k: v for k, v in data.items() if k in EVENT_KEYS}
        return {**kept, "decision": {"kind": data["do"], **fields}}

    @model_validator(mode="after")
    def _exactly_one(self) -> "Event":
        given = [k for k in ("do", "alert_resolved", "alert_firing") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of do | alert_resolved | alert_firing")
        if self.at < timedelta(0):
            raise ValueError("at must not be negative")
        return self

    @property
    def what(self) -> str:
        if self.decision is not None:
            return f"{self.decision.kind} by {self.decision.by}"
        if self.alert_resolved is not None:
            return "alert resolved: " + ", ".join(f"{k}={v}" for k, v in self.alert_resolved.items())
        return "alert firing: " + self.alert_firing.labels.get("alertname", self.alert_firing.fingerprint())


class Simulate(Strict):
    steps: dict[str, list[StepResult]] = Field(
        default={}, description="Runbook step id -> results of its attempts in order, e.g. [fail, ok]")


class ExpectedPage(Strict):
    tier: Tier
    at: Duration
    target: Handle | None = None


class ExpectedEscalation(Strict):
    rule: str
    at: Duration
    paged: bool | None = None


class Expectations(Strict):
    pages: list[ExpectedPage] | None = Field(
        default=None, description="Exactly the pages the drill sends, in time order")
    escalations: list[ExpectedEscalation] | None = Field(
        default=None, description="Exactly the escalation rules that fire, in time order")
    max_mtta: Duration | None = None
    max_mttm: Duration | None = None
    max_mttr: Duration | None = None
    final_phase: Phase | None = None
    final_severity: Severity | None = None
    late_checklist: list[str] | None = Field(
        default=None, description="Exactly the checklist item ids that end up late (done after `within`, or never)")
    runbooks: dict[str, str] | None = Field(
        default=None, description="Runbook name -> how its run ended (succeeded, failed, rolled_back, cancelled, …)")
    tolerance: Duration = Field(default=DEFAULT_TOLERANCE, description="Slack when comparing `at` offsets")


class Scenario(Strict):
    name: str = Field(pattern=NAME, description="Unique among the drills")
    description: str = ""
    start: StartSpec
    policy: str | None = Field(default=None, description="Policy directory; default: the project's policies")
    roster: dict[Tier, list[Handle]] | None = Field(default=None, description="Tier members for this drill")
    events: list[Event] = []
    duration: Duration | None = Field(
        default=None, description="How long the drill runs; default: until the last event")
    simulate: Simulate = Simulate()
    expect: Expectations | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        if self.roster is not None:
            empty = [t.value for t, members in self.roster.items() if not members]
            if empty:
                raise ValueError(f"roster: tiers without members: {', '.join(empty)}")
        if self.duration is not None and self.events and self.duration < self.last_event_at:
            raise ValueError(f"duration {format_duration(self.duration)} ends before the last event "
                             f"({format_duration(self.last_event_at)})")
        return self

    @property
    def last_event_at(self) -> timedelta:
        return max((e.at for e in self.events), default=timedelta(0))

    @property
    def length(self) -> timedelta:
        return self.duration if self.duration is not None else self.last_event_at

    def ordered_events(self) -> list[Event]:
        return sorted(self.events, key=lambda e: e.at)  # stable: same-offset events keep file order


def _where_written(path: list[str], reason: str, item: ErrorDetails) -> tuple[list[str], str]:
    """A decision's fields are reported where the file has them (`events.0.by`), an unknown kind at `do`."""
    if "decision" not in path:
        return path, reason
    at = path.index("decision")
    rest = path[at + 1:]
    if item["type"] == "union_tag_invalid":
        tag = (item.get("ctx") or {}).get("tag", "?")
        return [*path[:at], "do"], f"unknown decision kind {tag!r} (use one of: {', '.join(DECISION_KINDS)})"
    return [*path[:at], *(rest[1:] if rest and rest[0] in DECISION_KINDS else rest)], reason


def describe_scenario_errors(source: str, error: ValidationError) -> list[str]:
    """`file: path: reason` lines; decision fields are reported where they are written (`events.0.by`)."""
    return describe_errors(source, error, relocate=_where_written)


def problems_with_policy(scenario: Scenario, policy: Policy) -> list[tuple[str, str]]:
    """(path, reason) for scenario references the policy does not know (checklist item ids)."""
    items = {i.id for i in policy.incident.checklist.items}
    known = ", ".join(sorted(items))
    problems = []
    for index, event in enumerate(scenario.events):
        item = getattr(event.decision, "item", None) if event.decision is not None else None
        if event.do == "check_item" and item not in items:
            problems.append((f"events.{index}.item", f"no checklist item {item!r} in the policy (items: {known})"))
    if scenario.expect is not None and scenario.expect.late_checklist:
        for index, item in enumerate(scenario.expect.late_checklist):
            if item not in items:
                problems.append((f"expect.late_checklist.{index}",
                                 f"no checklist item {item!r} in the policy (items: {known})"))
    return problems
