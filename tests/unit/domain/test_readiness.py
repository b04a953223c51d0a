"""The readiness checklist's judgement (domain/oncall/readiness.py) from facts: each item passes or fails with
the reason a person can act on; one failing item makes the whole not ready."""

from datetime import UTC, datetime

from domain.incident.severity import Tier
from domain.oncall.readiness import ProbeResult, ReadinessFacts, escalation_problems, evaluate, template_problems
from domain.oncall.rotation import Problem
from domain.oncall.training import Eligibility, TrainingRecord

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
DRILL = TrainingRecord(person="minsu", kind="drill", hours=1, completed_at=NOW, recorded_by="sre-lead",
                       notes="role: IC")


def ready_facts(**changes) -> ReadinessFacts:
    facts = ReadinessFacts(
        at=NOW, weeks_ahead=4, coverage=[], escalation_problems=[], untrained=[], quarter="2026-Q4", drills=[DRILL],
        probes=[ProbeResult(tool="slack", configured=True, reachable=True, detail="auth.test ok (bot)"),
                ProbeResult(tool="statuspage", configured=False, required=False, detail="not configured (optional)")])
    return facts.model_copy(update=changes)


def why(report, item: str) -> tuple[bool, str]:
    found = next(i for i in report.items if i.id == item)
    return found.passed, found.why


def test_everything_in_order_is_ready_and_names_the_last_drill():
    report = evaluate(ready_facts())
    assert report.ready and [i.id for i in report.items] == [
        "rotation", "escalation", "tools", "training", "documents", "drill"]
    assert why(report, "drill") == (True, "last drill 2026-12-04; participants: minsu")


def test_each_failure_says_why():
    gap = Problem(kind="gap", tier=Tier.PRIMARY, text="primary: nobody on call 2026-12-07 → 2026-12-14")
    report = evaluate(ready_facts(
        coverage=[gap], drills=[], policy_problems=["oncall-escalation-policy.yaml: tiers: missing"],
        untrained=[Eligibility(person="seoyeon", eligible=False, onboarding_hours=0, required_hours=4,
                               why="no onboarding recorded")],
        probes=[ProbeResult(tool="runbook endpoint prometheus", configured=True,
                            detail="GET http://127.0.0.1:1: unreachable (ConnectError)"),
                ProbeResult(tool="pagerduty", configured=False, detail="not configured")]))
    assert not report.ready
    assert why(report, "rotation") == (False, gap.text)
    assert why(report, "tools") == (False, "runbook endpoint prometheus: GET http://127.0.0.1:1: unreachable "
                                           "(ConnectError); pagerduty: not configured")
    assert why(report, "training") == (False, "seoyeon: no onboarding recorded")
    assert why(report, "documents") == (False, "oncall-escalation-policy.yaml: tiers: missing")
    assert why(report, "drill") == (False, "no drill recorded this quarter")
    assert why(report, "escalation")[0]


def test_an_invalid_policy_or_unreadable_ledger_fails_the_items_that_need_them():
    report = evaluate(ready_facts(coverage=None, escalation_problems=None, untrained=None, drills=None,
                                  training_error="the training ledger could not be read: OperationalError"))
    assert why(report, "rotation") == (False, "the on-call policy is invalid")
    assert why(report, "training") == (False, "the training ledger could not be read: OperationalError")
    assert not why(report, "drill")[0]


def test_escalation_rules_that_page_nobody_are_problems(policy):
    assert escalation_problems(policy) == []
    tiers = {t: s.model_copy(update={"members": []}) if t in (Tier.TERTIARY, Tier.EXECUTIVE) else s
             for t, s in policy.oncall.tiers.items()}
    broken = policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"tiers": tiers})})
    assert "rule sev0-immediate: tier tertiary and every tier above it have no members" in escalation_problems(broken)


def test_templates_must_parse(policy):
    assert template_problems(policy, "# {{ incident.id }}\n") == []
    assert template_problems(policy, "{% if x %}") == [
        "postmortem-template.md:1: Unexpected end of template. Jinja was looking for the following tags: "
        "'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'."]
    assert template_problems(policy, None) == ["postmortem-template.md: not found in the policy directory"]
