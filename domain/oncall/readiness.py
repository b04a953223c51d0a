"""The readiness checklist (seed 000, 체크리스트; docs/oncall.md, "Readiness"): from facts gathered live by
service/readiness.py, each item passes or fails and says why. Pure: no I/O here."""

import string
from datetime import datetime

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, Field

from domain.incident.severity import Severity, Tier
from domain.oncall.rotation import Problem
from domain.oncall.training import Eligibility, TrainingRecord
from domain.policy.model import Policy


class ProbeResult(BaseModel):
    """One tool's reachability: `configured` False means the settings do not enable it."""

    tool: str
    configured: bool
    reachable: bool = False
    required: bool = Field(True, description="An unconfigured required tool fails the item")
    detail: str


class ReadinessFacts(BaseModel):
    at: datetime
    weeks_ahead: int = 4
    policy_problems: list[str] = []
    coverage: list[Problem] | None = Field(None, description="Gaps and unreachable people; None: policy invalid")
    escalation_problems: list[str] | None = None
    probes: list[ProbeResult] = []
    untrained: list[Eligibility] | None = Field(None, description="None: the training ledger was not readable")
    training_error: str | None = None
    runbook_problems: list[str] = []
    template_problems: list[str] = []
    quarter: str = ""
    drills: list[TrainingRecord] | None = Field(None, description="Drill records this quarter; None: unreadable")


class ReadinessItem(BaseModel):
    id: str
    title: str
    passed: bool
    why: str


class ReadinessReport(BaseModel):
    at: datetime
    ready: bool
    items: list[ReadinessItem]


def _lines(problems: list[str], limit: int = 5) -> str:
    shown = "; ".join(problems[:limit])
    return shown + (f" (and {len(problems) - limit} more)" if len(problems) > limit else "")


def escalation_problems(policy: Policy) -> list[str]:
    """Rules that would page nobody: their tier and every tier above it have no members; severities that page
    (sev0, sev1) without any rule."""
    tiers = list(Tier)
    problems = []
    for rule in policy.oncall.escalation.rules:
        above = tiers[tiers.index(rule.tier):]
        if not any(policy.oncall.tiers[t].members for t in above):
            problems.append(f"rule {rule.id}: tier {rule.tier.value} and every tier above it have no members")
    ruled = {s for r in policy.oncall.escalation.rules for s in r.severities}
    for severity in (Severity.SEV0, Severity.SEV1):
        if severity not in ruled:
            problems.append(f"no escalation rule for {severity.value}")
    return problems


def template_problems(policy: Policy, postmortem_template: str | None) -> list[str]:
    """The communication templates must parse as format strings, the postmortem template as Jinja2."""
    problems = []
    for name, text in policy.incident.communication.templates.model_dump().items():
        try:
            list(string.Formatter().parse(text))
        except ValueError as exc:
            problems.append(f"communication.templates.{name}: {exc}")
    template = policy.incident.learning.postmortem.template
    if postmortem_template is None:
        problems.append(f"{template}: not found in the policy directory")
    else:
        try:
            SandboxedEnvironment().parse(postmortem_template)
        except TemplateSyntaxError as exc:
            problems.append(f"{template}:{exc.lineno}: {exc.message}")
    return problems


def _rotation(facts: ReadinessFacts) -> ReadinessItem:
    title = f"Rotation active and covering the next {facts.weeks_ahead} week(s)"
    if facts.coverage is None:
        return ReadinessItem(id="rotation", title=title, passed=False, why="the on-call policy is invalid")
    if not facts.coverage:
        return ReadinessItem(id="rotation", title=title, passed=True,
                             why="every tier has someone on call with a contact for the whole period")
    return ReadinessItem(id="rotation", title=title, passed=False, why=_lines([p.text for p in facts.coverage]))


def _escalation(facts: ReadinessFacts) -> ReadinessItem:
    title = "Escalation policy valid"
    if facts.escalation_problems is None:
        return ReadinessItem(id="escalation", title=title, passed=False, why="the on-call policy is invalid")
    if facts.escalation_problems:
        return ReadinessItem(id="escalation", title=title, passed=False, why=_lines(facts.escalation_problems))
    return ReadinessItem(id="escalation", title=title, passed=True,
                         why="every rule pages someone and sev0/sev1 have rules")


def _tools(facts: ReadinessFacts) -> ReadinessItem:
    title = "Tools configured and reachable"
    failing = [f"{p.tool}: {p.detail}" for p in facts.probes
               if (p.configured and not p.reachable) or (not p.configured and p.required)]
    if failing:
        return ReadinessItem(id="tools", title=title, passed=False, why=_lines(failing, limit=8))
    return ReadinessItem(id="tools", title=title, passed=True,
                         why="; ".join(f"{p.tool}: {p.detail}" for p in facts.probes) or "no tools to check")


def _training(facts: ReadinessFacts) -> ReadinessItem:
    title = "Everyone in the rotation onboarded"
    if facts.untrained is None:
        return ReadinessItem(id="training", title=title, passed=False,
                             why=facts.training_error or "the training ledger could not be read")
    if facts.untrained:
        return ReadinessItem(id="training", title=title, passed=False,
                             why=_lines([f"{e.person}: {e.why}" for e in facts.untrained]))
    return ReadinessItem(id="training", title=title, passed=True, why="every rotation member completed onboarding")


def _documents(facts: ReadinessFacts) -> ReadinessItem:
    title = "Policies, runbooks and templates valid"
    problems = facts.policy_problems + facts.runbook_problems + facts.template_problems
    if problems:
        return ReadinessItem(id="documents", title=title, passed=False, why=_lines(problems))
    return ReadinessItem(id="documents", title=title, passed=True,
                         why="`incident policy check` and `incident runbook check` pass; templates parse")


def _drill(facts: ReadinessFacts) -> ReadinessItem:
    title = f"A drill this quarter ({facts.quarter})"
    if facts.drills is None:
        return ReadinessItem(id="drill", title=title, passed=False,
                             why=facts.training_error or "the training ledger could not be read")
    if not facts.drills:
        return ReadinessItem(id="drill", title=title, passed=False, why="no drill recorded this quarter")
    last = max(facts.drills, key=lambda r: r.completed_at)
    people = sorted({f"{r.person} ({r.role})" if r.role else r.person for r in facts.drills})
    return ReadinessItem(id="drill", title=title, passed=True,
                         why=f"last drill {last.completed_at.date().isoformat()}; participants: {', '.join(people)}")


def evaluate(facts: ReadinessFacts) -> ReadinessReport:
    items = [check(facts) for check in (_rotation, _escalation, _tools, _training, _documents, _drill)]
    return ReadinessReport(at=facts.at, ready=all(i.passed for i in items), items=items)
