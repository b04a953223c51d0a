"""Notification rules in the on-call policy (`incident policy check` names the person and the step that is wrong)
and the pure planner's steps: due at page time + after, at once after a step nobody took, none once
acknowledged, the next tier once no step reached the person."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from adapters.policy_files import load_policy
from domain.incident.lifecycle import new_incident
from domain.incident.planner import plan
from domain.incident.severity import Severity, Tier
from domain.incident.state import IncidentStart, Page, RuleStep
from testkit.channels import with_notification_rules
from testkit.comms import edited_policy

T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)


def check(directory) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "policy", "check", str(directory)],
                          capture_output=True, text=True, timeout=60)


def test_policy_check_names_the_person_and_the_step(tmp_path):
    def edit(oncall: dict) -> None:
        with_notification_rules()(oncall)
        del oncall["people"]["jiyoung"]["phone"]  # takes the default's SMS and voice steps
        oncall["people"]["minsu"]["notify"] = [{"after": "1m", "via": "slack"}, {"after": "3m", "via": "email"},
                                               {"after": "2m", "via": "voice"}]
        oncall["people"]["hyunwoo"]["notify"] = [{"after": "0m", "via": ["slack", "fax"]}]

    result = check(edited_policy(tmp_path / "p", edit))
    assert result.returncode == 2
    assert "people.hyunwoo.notify.0.via.1: Input should be 'slack', 'pagerduty', 'email', 'sms', 'voice'" \
           in result.stdout
    edit_without_fax = edited_policy(tmp_path / "q", lambda o: (edit(o), o["people"]["hyunwoo"].pop("notify")))
    problems = check(edit_without_fax).stdout.split("notification rules: ", 1)[1].strip().split("; ")
    assert problems == [
        "people.jiyoung (notification_rules.default) step 2: sms needs a phone, and jiyoung has none",
        "people.jiyoung (notification_rules.default) step 3: voice needs a phone, and jiyoung has none",
        "people.minsu.notify step 1: after 1m, but the first step must be after 0m",
        "people.minsu.notify step 3: after 2m, but it must come later than step 2 (after 3m)",
    ]


def test_the_shipped_policy_has_no_rules_and_a_valid_chain_loads(tmp_path):
    assert check(edited_policy(tmp_path / "p", with_notification_rules())).stdout.strip() == "ok"
    policy = load_policy(tmp_path / "p")
    assert [(s.after, s.channels) for s in policy.oncall.notification_chain("minsu")] == [
        (timedelta(0), ["slack"]), (timedelta(minutes=2), ["sms"]), (timedelta(minutes=5), ["voice"])]


def paged(policy, *steps: RuleStep):
    state = new_incident(policy, IncidentStart(id="x", title="t", service="payments", severity=Severity.SEV1,
                                               declared_by="tester"), T0)
    state.follows_notification_rules = True
    state.fired += ["page:initial", *(f"step:0:{s.step}" for s in steps if s.step)]  # the steps already sent
    state.pages.append(Page(tier=Tier.PRIMARY, target="minsu", at=T0, reason="new incident", key="k",
                            steps=list(steps)))
    return state


def step(number: int, minutes: float, took: bool) -> RuleStep:
    return RuleStep(step=number, via=["x"], at=T0 + timedelta(minutes=minutes), channels=["x"] if took else [])


def due(policy, state, minutes: float) -> list[tuple[str, str | None]]:
    return [(a.key, a.tier.value if a.tier else None)
            for a in plan(policy, state, T0 + timedelta(minutes=minutes)).due if a.key.startswith(("step", "unre"))]


def test_steps_are_due_after_the_page_at_once_after_a_failure_and_never_once_acknowledged(tmp_path):
    policy = load_policy(edited_policy(tmp_path / "p", with_notification_rules()))
    state = paged(policy, step(0, 0, took=True))
    assert due(policy, state, 1.9) == [] and plan(policy, state, T0).next_at == T0 + timedelta(minutes=2)
    assert due(policy, state, 2) == [("step:0:1", "primary")]
    failed = paged(policy, step(0, 0, took=False))
    assert due(policy, failed, 0) == [("step:0:1", "primary")]
    state.acknowledged_at = T0 + timedelta(minutes=1)
    assert due(policy, state, 10) == []


def test_a_chain_that_reached_nobody_pages_the_next_tier_at_once(tmp_path):
    policy = load_policy(edited_policy(tmp_path / "p", with_notification_rules()))
    state = paged(policy, step(0, 0, False), step(1, 0, False), step(2, 0, False))
    assert due(policy, state, 0) == [("unreachable:0", "secondary")]
    reached = paged(policy, step(0, 0, True), step(1, 2, False), step(2, 2, False))
    assert due(policy, reached, 3) == []
