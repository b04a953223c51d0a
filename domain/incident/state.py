"""The incident record a workflow keeps: what `incident show --json` and the `state` query return."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from domain.alerts.mapping import severity_for_alerts
from domain.common.limits import StoredActor, StoredImpact, StoredService, StoredTitle
from domain.common.markdown import markdown_text
from domain.incident.phases import Phase, PhaseChange
from domain.incident.severity import Role, Severity, Tier
from domain.incident.status import RoomRef, StatusUpdate
from domain.policy.model import Policy
from domain.runbooks.status import RunbookRunInfo, StepSimulation


class Roles(BaseModel):
    ic: str | None = None
    ops: str | None = None
    comms: str | None = None
    liaison: str | None = None
    scribe: str | None = None

    def get(self, role: Role) -> str | None:
        return getattr(self, role.value)


class RuleStep(BaseModel):
    """One step of the paged person's notification rules as it went out (step 0 is the page itself)."""

    step: int
    via: list[str] = Field(description="The channels the step names")
    at: datetime
    channels: list[str] = Field(default=[], description="The channels that took it")
    refused: list[str] = Field(default=[], description="The channels that refused it or could not reach the person")

    @property
    def failed(self) -> bool:
        return not self.channels


class Page(BaseModel):
    tier: Tier
    target: str | None
    at: datetime
    reason: str
    key: str = Field(description="Idempotency key: a retried page never goes out twice")
    channels: list[str] = []
    steps: list[RuleStep] = Field(default=[], description="The target's notification rules: each step sent so far "
                                                          "(empty: no rules, every channel at once)")


class Escalation(BaseModel):
    rule: str
    tier: Tier
    at: datetime
    paged: bool = Field(description="False when the tier was already engaged")


class StakeholderNotice(BaseModel):
    """A person the policy tells at once about an incident of this severity (not a page: nobody must answer)."""

    to: str = Field(description="A person of the on-call policy")
    why: str
    at: datetime


class ChecklistEntry(BaseModel):
    item: str
    text: str
    within_seconds: int
    done_when: str | None = None
    group: str = Field(default="first_15_minutes", description="first_15_minutes (seed 004), team_assembly or "
                                                               "situation (seed 000)")
    done: bool = False
    by: str | None = None
    at: datetime | None = None


TimelineKind = Literal[
    "declared", "alert", "page", "escalation", "decision", "rejected", "phase", "note",
    "comms_reminder", "checklist_nag", "notification", "runbook", "postmortem", "system", "stakeholder",
]


class TimelineEntry(BaseModel):
    at: datetime
    kind: TimelineKind
    actor: str
    text: str


class Alert(BaseModel):
    fingerprint: str
    status: Literal["firing", "resolved"] = "firing"
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str | None = None
    clipped: bool = Field(default=False, description="Labels or annotations were cut to the size limits")


class IncidentStart(BaseModel):
    """Workflow input. Holds no secrets: it is stored in the workflow history."""

    id: str
    title: StoredTitle
    service: StoredService
    severity: Severity | None = Field(default=None, description="None: derive from the alerts via the policy")
    impact: StoredImpact | None = None
    declared_by: StoredActor
    source: str = "cli"
    drill: bool = False
    policy_dir: str | None = None
    started_at: datetime | None = Field(default=None, description="When impact began, if known (alert startsAt)")
    alerts: list[Alert] = []
    runbook_dir: str | None = Field(default=None, description="None: the worker's runbook directory")
    simulate: StepSimulation | None = Field(
        default=None, description="Drills only: scripted runbook step outcomes; executors call nothing")
    roster: dict[Tier, list[str]] | None = Field(
        default=None, description="Drills only: tier members replacing the policy's (names, no contact details)")
    drill_speed: float = Field(
        default=1, gt=0, description="Drills only: the policy's incident clocks run this many times faster")
    policy: Policy | None = Field(
        default=None, description="The policy snapshot taken by the starter (gateway, CLI) from the same policy "
                                  "files the worker reads; None: the workflow loads it (one activity more)")
    continued: "IncidentContinuation | None" = Field(
        default=None, description="Set only by the incident workflow itself when it continues as a new run: "
                                  "the incident so far (the start fields above stay those of the declaration)")

    @model_validator(mode="after")
    def _drill_only(self) -> "IncidentStart":
        if not self.drill and (self.roster is not None or self.drill_speed != 1):
            raise ValueError("roster and drill_speed are for drills only")
        return self

    def severity_under(self, policy: Policy) -> Severity:
        """The declared severity, or the one the policy's alert mapping gives the alerts (the worst wins)."""
        return self.severity or severity_for_alerts(policy.incident.alert_mapping, [a.labels for a in self.alerts])

    def expected_severity(self) -> Severity | None:
        """What the incident will start as, when that is known before the workflow runs: declared, or derived
        under the policy snapshot the starter took."""
        return self.severity_under(self.policy) if self.policy is not None else self.severity

    def ui_summary(self) -> str:
        """One line for the Temporal UI's workflow list (static summary)."""
        severity = self.expected_severity()
        drill = "DRILL " if self.drill else ""
        return f"{drill}{(severity.value if severity else 'sev?').upper()} {self.service}: {self.title}"[:200]

    def ui_details(self) -> str:
        """Markdown for the Temporal UI's workflow page (static details): what the incident started as, with
        every untrusted value escaped. The live severity and phase are the search attributes."""
        severity = self.expected_severity()
        lines = [f"**{markdown_text(self.title)}**", "",
                 f"- severity at start: {severity.value if severity else 'from the alerts'}",
                 f"- service: {markdown_text(self.service)}",
                 f"- source: {self.source}, declared by {markdown_text(self.declared_by)}"]
        if self.impact:
            lines.append(f"- impact: {markdown_text(self.impact)}")
        if self.alerts:
            names = sorted({a.labels.get("alertname", "alert") for a in self.alerts})
            shown = ", ".join(markdown_text(n[:80]) for n in names[:5]) + (", …" if len(names) > 5 else "")
            lines.append(f"- alerts: {len(self.alerts)} ({shown})")
        return "\n".join(lines)[:2000]


class IncidentState(BaseModel):
    id: str
    title: str
    service: str
    severity: Severity
    impact: str | None = None
    phase: Phase = Phase.DETECTED
    drill: bool = False
    source: str = "cli"
    declared_by: str
    roles: Roles = Roles()
    acknowledged_by: str | None = None
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None = None
    mitigating_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    summary: str | None = None
    pages: list[Page] = []
    escalations: list[Escalation] = []
    notifications: list[StakeholderNotice] = Field(
        default=[], description="Stakeholders the policy names for the severity, told at once (not paged)")
    notifies_stakeholders: bool = Field(
        default=False, description="Declared since the stakeholders-notified patch: the severity's stakeholders "
                                   "are notified (workflows/incident_versions.py)")
    tells_public_contacts: bool = Field(
        default=False, description="Declared since the public-contacts-told patch: while the incident is public, the "
                                   "policy's public_incident_contacts are told (workflows/incident_versions.py)")
    follows_notification_rules: bool = Field(
        default=False, description="Declared since the notification-rules-followed patch: a paged person is notified "
                                   "step by step as their notification rules say (workflows/incident_versions.py)")
    checklist: list[ChecklistEntry] = []
    timeline: list[TimelineEntry] = []
    alerts: dict[str, Alert] = {}
    alerts_hidden: int = Field(default=0, description="Alerts of the group not held in detail that may still fire "
                                                      "(left out by the sender, or over the size limits); while "
                                                      "any are, the incident never mitigates itself")
    alert_lines_omitted: int = Field(default=0, description="Older alert lines the timeline gave way (limits)")
    recovered_from: Phase | None = Field(default=None, description="Set while the incident is mitigated because "
                                                                   "every alert resolved: the phase it goes back to "
                                                                   "if one fires again")
    refired_at: list[datetime] = Field(default=[], description="Times an alert fired again after the incident "
                                                               "had mitigated itself (each one pages again)")
    phase_changes: list[PhaseChange] = Field(default=[], description="Every phase entered after detected, in "
                                                                     "order, back too when an alert fired again "
                                                                     "(the drill scorecard reads them)")
    last_comms_update_at: datetime | None = None
    manual_escalations: list[datetime] = Field(default=[], description="Times of escalate_now decisions")
    runbooks: list[RunbookRunInfo] = Field(default=[], description="Runbook runs: offered, running, finished")
    fired: list[str] = Field(default=[], description="Keys of planned actions already carried out")
    room: RoomRef | None = Field(default=None, description="The incident's chat room (Slack channel + header ts)")
    status_updates: list[StatusUpdate] = Field(default=[], description="Updates posted by the Comms Lead")

    def note(self, at: datetime, kind: TimelineKind, actor: str, text: str) -> TimelineEntry:
        entry = TimelineEntry(at=at, kind=kind, actor=actor, text=text)
        self.timeline.append(entry)
        return entry

    def alerts_all_resolved(self) -> bool:
        """Every alert of the incident is known to be resolved (none hidden that may still fire)."""
        return bool(self.alerts) and self.alerts_hidden == 0 and all(
            a.status == "resolved" for a in self.alerts.values())

    def highest_paged_tier(self) -> Tier | None:
        paged = [p.tier for p in self.pages if p.target is not None]
        return max(paged, key=lambda t: t.level, default=None)

    def tier_engaged(self, tier: Tier) -> bool:
        return any(p.tier == tier and p.target is not None for p in self.pages)

    def holder_of_tier(self, tier: Tier) -> str | None:
        targets = [p.target for p in self.pages if p.tier == tier and p.target]
        return targets[-1] if targets else None

    def ui_current_details(self) -> str:
        """Markdown for the Temporal UI's "current details" of the running workflow: where it stands now."""
        paged = self.highest_paged_tier()
        acknowledged, ic = self.acknowledged_by, self.roles.ic
        lines = [f"**{self.severity.value.upper()}** · {self.phase.value}" + (" · DRILL" if self.drill else ""), "",
                 f"- acknowledged by: {markdown_text(acknowledged) if acknowledged else 'nobody yet'}",
                 f"- incident commander: {markdown_text(ic) if ic else 'unassigned'}",
                 f"- paged up to: {paged.value if paged else 'nobody yet'} ({len(self.pages)} pages)"]
        open_items = sum(not c.done for c in self.checklist)
        if open_items:
            lines.append(f"- checklist: {open_items} open")
        return "\n".join(lines)


class IncidentContinuation(BaseModel):
    """What a new run of an incident carries over from the run before it (continue-as-new)."""

    state: IncidentState
    dispatched_tiers: list[Tier] = Field(default=[], description="Tiers already paged or claimed by a planned page")


IncidentStart.model_rebuild()
