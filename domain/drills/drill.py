"""Tabletop drills as data: the scenario file, the scorecard, and how expectations are judged. Pure.

A scenario plays through the real `IncidentWorkflow` (see `workflows/drill.py`); everything here turns a
scenario into workflow inputs and the incident's final state into a scorecard. Offsets (`at_seconds`)
count from the drill's start, in scenario time: a live drill compressed by `speed` N reports real seconds × N.
"""

import hashlib
import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from domain.alerts.handling import AlertSnapshot
from domain.common.durations import Duration, format_duration
from domain.incident.decisions import DECISION_KINDS, Decision
from domain.incident.phases import Phase
from domain.incident.severity import Severity, Tier
from domain.incident.state import Alert, IncidentStart, IncidentState
from domain.policy.model import Policy, location_part
from domain.runbooks.status import StepSimulation

NAME = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
Handle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
StepResult = Literal["ok", "fail"]
DEFAULT_TOLERANCE = timedelta(seconds=5)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ── scenario ─────────────────────────────────────────────────────────────────────────────────────
class AlertSpec(_Strict):
    """An Alertmanager-style alert."""

    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = {}

    def fingerprint(self) -> str:
        canonical = "\x1f".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_alert(self, status: Literal["firing", "resolved"] = "firing") -> Alert:
        return Alert(fingerprint=self.fingerprint(), status=status, labels=self.labels,
                     annotations=self.annotations)


class DeclareSpec(_Strict):
    service: Handle
    severity: Severity
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    by: Handle
    impact: str | None = None


class StartSpec(_Strict):
    alert: AlertSpec | None = None
    declare: DeclareSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "StartSpec":
        if (self.alert is None) == (self.declare is None):
            raise ValueError("give exactly one of alert | declare")
        return self


EVENT_KEYS = ("at", "do", "alert_resolved", "alert_firing", "decision")


class Event(_Strict):
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


class Simulate(_Strict):
    steps: dict[str, list[StepResult]] = Field(
        default={}, description="Runbook step id -> results of its attempts in order, e.g. [fail, ok]")


class ExpectedPage(_Strict):
    tier: Tier
    at: Duration
    target: Handle | None = None


class ExpectedEscalation(_Strict):
    rule: str
    at: Duration
    paged: bool | None = None


class Expectations(_Strict):
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


class Scenario(_Strict):
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


def describe_scenario_errors(source: str, error: ValidationError) -> list[str]:
    """`file: path: reason` lines; decision fields are reported where they are written (`events.0.by`)."""
    lines = []
    for item in error.errors():
        loc = [location_part(p) for p in item["loc"]]
        message = item["msg"].removeprefix("Value error, ")
        if "decision" in loc:
            at = loc.index("decision")
            rest = loc[at + 1:]
            if item["type"] == "union_tag_invalid":
                loc = [*loc[:at], "do"]
                tag = (item.get("ctx") or {}).get("tag", "?")
                message = f"unknown decision kind {tag!r} (use one of: {', '.join(DECISION_KINDS)})"
            else:
                loc = [*loc[:at], *(rest[1:] if rest and rest[0] in DECISION_KINDS else rest)]
        lines.append(f"{source}: {'.'.join(loc) or '(top)'}: {message}")
    return lines


# ── workflow input and progress ──────────────────────────────────────────────────────────────────
class DrillRequest(BaseModel):
    scenario: Scenario
    incident_id: str
    policy_dir: str | None = None
    speed: float = Field(default=1, gt=0)
    live: bool = False
    autoplay_decisions: bool = Field(default=True, description="Play the scripted decisions (off: people decide)")


class DrillProgress(BaseModel):
    incident_id: str
    events_played: int
    events_total: int
    next_event: str | None = None
    next_event_in_seconds: float | None = Field(default=None, description="Real seconds")


# ── turning a scenario into workflow inputs ──────────────────────────────────────────────────────
def incident_start(scenario: Scenario, incident_id: str, policy_dir: str | None, speed: float) -> IncidentStart:
    common = dict(id=incident_id, drill=True, policy_dir=policy_dir, roster=scenario.roster, drill_speed=speed,
                  source="drill", simulate=StepSimulation(steps=scenario.simulate.steps))
    if scenario.start.declare is not None:
        d = scenario.start.declare
        return IncidentStart(title=d.title, service=d.service, severity=d.severity, impact=d.impact,
                             declared_by=d.by, **common)
    alert = scenario.start.alert
    labels = alert.labels
    name = labels.get("alertname", "alert")
    return IncidentStart(
        title=alert.annotations.get("summary") or name,
        service=labels.get("service") or labels.get("job") or name,
        severity=None, impact=alert.annotations.get("description"), declared_by="alertmanager",
        alerts=[alert.to_alert()], **common,
    )


def initial_alerts(scenario: Scenario) -> dict[str, Alert]:
    alert = scenario.start.alert
    return {alert.fingerprint(): alert.to_alert()} if alert else {}


def apply_alert_event(alerts: dict[str, Alert], event: Event, at: datetime) -> AlertSnapshot:
    """Update the drill's alert group for an alert event and return the snapshot to send."""
    if event.alert_firing is not None:
        alert = event.alert_firing.to_alert().model_copy(update={"starts_at": at})
        alerts[alert.fingerprint] = alert
    else:
        for fingerprint, alert in list(alerts.items()):
            if all(alert.labels.get(k) == v for k, v in event.alert_resolved.items()):
                alerts[fingerprint] = alert.model_copy(update={"status": "resolved", "ends_at": at})
    return AlertSnapshot(source="drill", alerts=list(alerts.values()), received_at=at)


def compress_policy(policy: Policy, speed: float) -> Policy:
    """The policy with every incident clock divided by `speed` (live drills in compressed time): acknowledge
    deadlines, escalation rules, comms interval, checklist deadlines and targets. The on-call rotation is
    left alone: who holds a tier is still read from the wall clock."""
    if speed == 1:
        return policy

    def scale(value: timedelta) -> timedelta:
        return value / speed

    incident = policy.incident
    severities = {
        key: level.model_copy(update={
            "response_time": scale(level.response_time),
            "targets": level.targets.model_copy(update={
                "mttd": scale(level.targets.mttd) if level.targets.mttd is not None else None,
                "mttr": scale(level.targets.mttr) if level.targets.mttr is not None else None,
            }),
        })
        for key, level in incident.severities.items()
    }
    communication = incident.communication.model_copy(
        update={"internal_update_every": scale(incident.communication.internal_update_every)})
    checklist = incident.checklist.model_copy(update={
        "nag_at": scale(incident.checklist.nag_at),
        "items": [i.model_copy(update={"within": scale(i.within)}) for i in incident.checklist.items],
    })
    rules = [r.model_copy(update={"after": scale(r.after)}) for r in policy.oncall.escalation.rules]
    escalation = policy.oncall.escalation.model_copy(update={"rules": rules})
    return policy.model_copy(update={
        "incident": incident.model_copy(
            update={"severities": severities, "communication": communication, "checklist": checklist}),
        "oncall": policy.oncall.model_copy(update={"escalation": escalation}),
    })


def policy_for_incident(policy: Policy, start: IncidentStart) -> Policy:
    """Apply a drill's roster override and clock compression to the loaded policy snapshot."""
    if not start.drill:
        return policy
    if start.roster:
        policy = policy.with_roster(start.roster)
    return compress_policy(policy, start.drill_speed)


# ── scorecard ────────────────────────────────────────────────────────────────────────────────────
class ScoredPage(BaseModel):
    tier: Tier
    target: str | None
    at_seconds: float
    reason: str


class ScoredEscalation(BaseModel):
    rule: str
    tier: Tier
    paged: bool
    at_seconds: float


class ScoredPhase(BaseModel):
    phase: Phase
    at_seconds: float


class ScoredChecklistItem(BaseModel):
    item: str
    text: str
    done_at_seconds: float | None
    due_seconds: float
    by: str | None
    late: bool


class ScoredTimelineEntry(BaseModel):
    at_seconds: float
    kind: str
    actor: str
    text: str


class ScoredRunbook(BaseModel):
    runbook: str
    status: str
    started_by: str | None
    at_seconds: float
    detail: str | None = None


class ExpectationResult(BaseModel):
    what: str
    expected: str
    actual: str
    passed: bool


class Targets(BaseModel):
    ack_seconds: float = Field(description="The severity's response time")
    mttr_seconds: float | None = None


class Scorecard(BaseModel):
    name: str
    description: str = ""
    passed: bool
    incident_id: str
    mode: Literal["instant", "live"] = "instant"
    speed: float = 1
    severity: Severity
    final_phase: Phase
    duration_seconds: float
    pages: list[ScoredPage]
    escalations: list[ScoredEscalation]
    phases: list[ScoredPhase]
    mtta_seconds: float | None
    mttm_seconds: float | None
    mttr_seconds: float | None
    targets: Targets
    checklist: list[ScoredChecklistItem]
    timeline: list[ScoredTimelineEntry]
    expectations: list[ExpectationResult]
    rejected: list[str] = Field(default=[], description="Scripted decisions the incident refused, with the reason")
    runbooks: list[ScoredRunbook] = Field(default=[], description="Runbook runs and how they ended")
    simulated_steps: dict[str, list[StepResult]] = {}
    wall_seconds: float | None = Field(default=None, description="Real time the drill took (filled by the runner)")


_PHASE_CHANGE = re.compile(r"→\s*(\w+)\s*$")


def scorecard(scenario: Scenario, state: IncidentState, started: datetime, policy: Policy, speed: float = 1,
              mode: Literal["instant", "live"] = "instant", tolerance: timedelta | None = None) -> Scorecard:
    """The drill's result: everything measured from `started` (the drill's start) in scenario time.
    `policy` is the uncompressed policy (for targets); the state's own clocks are real, so × speed."""

    def offset(at: datetime | None) -> float | None:
        return None if at is None else round((at - started).total_seconds() * speed, 3)

    def since_detection(at: datetime | None) -> float | None:
        return None if at is None else round((at - state.detected_at).total_seconds() * speed, 3)

    phases = [ScoredPhase(phase=Phase.DETECTED, at_seconds=offset(state.detected_at))]
    for entry in state.timeline:
        match = _PHASE_CHANGE.search(entry.text) if entry.kind == "phase" else None
        if match and match.group(1) in Phase._value2member_map_:
            phases.append(ScoredPhase(phase=Phase(match.group(1)), at_seconds=offset(entry.at)))
    checklist = []
    for entry in state.checklist:
        due = entry.within_seconds * speed
        done_at = since_detection(entry.at) if entry.done else None
        checklist.append(ScoredChecklistItem(
            item=entry.item, text=entry.text, done_at_seconds=offset(entry.at) if entry.done else None,
            due_seconds=due, by=entry.by, late=done_at is None or done_at > due,
        ))
    level = policy.severity(state.severity)
    card = Scorecard(
        name=scenario.name, description=scenario.description, passed=True, incident_id=state.id,
        mode=mode, speed=speed, severity=state.severity, final_phase=state.phase,
        duration_seconds=scenario.length.total_seconds(),
        pages=sorted(
            (ScoredPage(tier=p.tier, target=p.target, at_seconds=offset(p.at), reason=p.reason) for p in state.pages),
            key=lambda p: (p.at_seconds, p.tier.level)),
        escalations=[ScoredEscalation(rule=e.rule, tier=e.tier, paged=e.paged, at_seconds=offset(e.at))
                     for e in state.escalations],
        phases=phases,
        mtta_seconds=since_detection(state.acknowledged_at),
        mttm_seconds=since_detection(state.mitigated_at),
        mttr_seconds=since_detection(state.resolved_at),
        targets=Targets(ack_seconds=level.response_time.total_seconds(),
                        mttr_seconds=level.targets.mttr.total_seconds() if level.targets.mttr else None),
        checklist=checklist,
        timeline=[ScoredTimelineEntry(at_seconds=offset(t.at), kind=t.kind, actor=t.actor, text=t.text)
                  for t in state.timeline],
        expectations=[],
        rejected=[t.text for t in state.timeline if t.kind == "rejected"],
        runbooks=[ScoredRunbook(runbook=r.runbook, status=r.status, started_by=r.started_by, at_seconds=offset(r.at),
                                detail=r.detail) for r in state.runbooks],
        simulated_steps=scenario.simulate.steps,
    )
    if scenario.expect is not None:
        card.expectations = evaluate(scenario.expect, card, tolerance)
    card.passed = all(e.passed for e in card.expectations)
    return card


# ── expectations ─────────────────────────────────────────────────────────────────────────────────
def _fmt(seconds: float | None) -> str:
    return "never" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def evaluate(expect: Expectations, card: Scorecard, tolerance: timedelta | None = None) -> list[ExpectationResult]:
    """Judge every expectation against the scorecard; `tolerance` overrides the scenario's (live drills)."""
    slack = max((tolerance or timedelta(0)), expect.tolerance).total_seconds()
    results: list[ExpectationResult] = []

    def close(actual: float, expected: timedelta) -> bool:
        return abs(actual - expected.total_seconds()) <= slack

    if expect.pages is not None:
        remaining = list(card.pages)
        for want in expect.pages:
            label = f"{want.tier.value}{f' {want.target}' if want.target else ''} at {_fmt(want.at.total_seconds())}"
            match = next((p for p in remaining if p.tier == want.tier and close(p.at_seconds, want.at)
                          and (want.target is None or p.target == want.target)), None)
            if match is not None:
                remaining.remove(match)
                actual = f"{match.tier.value} {match.target} at {_fmt(match.at_seconds)}"
            else:
                same_tier = [p for p in card.pages if p.tier == want.tier]
                actual = ", ".join(f"{p.tier.value} {p.target} at {_fmt(p.at_seconds)}" for p in same_tier) or \
                    f"{want.tier.value} never paged"
            results.append(ExpectationResult(what="page", expected=label, actual=actual, passed=match is not None))
        results.append(ExpectationResult(
            what="no other pages", expected="none",
            actual=", ".join(f"{p.tier.value} {p.target} at {_fmt(p.at_seconds)}" for p in remaining) or "none",
            passed=not remaining))

    if expect.escalations is not None:
        remaining_e = list(card.escalations)
        for want in expect.escalations:
            label = f"{want.rule} at {_fmt(want.at.total_seconds())}" + (
                "" if want.paged is None else (" (paged)" if want.paged else " (tier already engaged)"))
            match = next((e for e in remaining_e if e.rule == want.rule and close(e.at_seconds, want.at)
                          and (want.paged is None or e.paged == want.paged)), None)
            if match is not None:
                remaining_e.remove(match)
            same = [e for e in card.escalations if e.rule == want.rule]
            actual = ", ".join(f"{e.rule} at {_fmt(e.at_seconds)}{'' if e.paged else ' (already engaged)'}"
                               for e in ([match] if match else same)) or f"{want.rule} never fired"
            results.append(ExpectationResult(what="escalation", expected=label, actual=actual,
                                             passed=match is not None))
        results.append(ExpectationResult(
            what="no other escalations", expected="none",
            actual=", ".join(f"{e.rule} at {_fmt(e.at_seconds)}" for e in remaining_e) or "none",
            passed=not remaining_e))

    for what, limit, actual in (("mtta", expect.max_mtta, card.mtta_seconds),
                                ("mttm", expect.max_mttm, card.mttm_seconds),
                                ("mttr", expect.max_mttr, card.mttr_seconds)):
        if limit is not None:
            passed = actual is not None and actual <= limit.total_seconds() + slack
            results.append(ExpectationResult(what=what, expected=f"≤ {format_duration(limit)}",
                                             actual=_fmt(actual), passed=passed))
    if expect.final_phase is not None:
        results.append(ExpectationResult(what="final phase", expected=expect.final_phase.value,
                                         actual=card.final_phase.value, passed=card.final_phase == expect.final_phase))
    if expect.final_severity is not None:
        results.append(ExpectationResult(what="final severity", expected=expect.final_severity.value,
                                         actual=card.severity.value, passed=card.severity == expect.final_severity))
    if expect.late_checklist is not None:
        late = sorted(c.item for c in card.checklist if c.late)
        want = sorted(expect.late_checklist)
        results.append(ExpectationResult(what="late checklist items", expected=", ".join(want) or "none",
                                         actual=", ".join(late) or "none", passed=late == want))
    if expect.runbooks is not None:
        for name, status in expect.runbooks.items():
            runs = [r for r in card.runbooks if r.runbook == name]
            actual = runs[-1].status if runs else "never ran"
            results.append(ExpectationResult(what=f"runbook {name}", expected=status, actual=actual,
                                             passed=actual == status))
    return results


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
