"""The policy's Sev0 stakeholders (people of the on-call policy) and the checklist's `notified` trigger; the
planner tells the stakeholders at once, after the first page."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from domain.incident import planner
from domain.incident.lifecycle import new_incident
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart
from domain.policy.incident_policy import ChecklistItemSpec
from domain.policy.model import Policy
from testkit.learning import NOW


def test_the_shipped_sev0_names_the_cto_and_every_team_lead(policy):
    assert policy.severity(Severity.SEV0).stakeholders == ["cto", "sre-lead", "ops-lead", "dev-lead"]
    assert all(policy.severity(s).stakeholders == [] for s in (Severity.SEV1, Severity.SEV2, Severity.SEV3))


def test_a_stakeholder_must_be_one_of_the_people(policy):
    data = policy.model_dump(mode="json")
    data["incident"]["severities"]["sev0"]["stakeholders"] = ["cto", "ceo"]
    with pytest.raises(ValidationError, match="sev0 stakeholders not listed under people: ceo"):
        Policy.model_validate(data)


def test_notified_is_a_checklist_trigger():
    assert ChecklistItemSpec(id="told", text="told", done_when="notified").done_when == "notified"
    with pytest.raises(ValidationError, match="'declared', 'notified' or"):
        ChecklistItemSpec(id="told", text="told", done_when="told")


def test_the_planner_tells_the_stakeholders_after_the_first_page(policy):
    state = new_incident(policy, IncidentStart(id="x", title="down", service="game-servers", severity="sev0",
                                               declared_by="minsu"), NOW)
    assert [a.kind for a in planner.plan(policy, state, NOW).due if a.kind == "stakeholder_notice"] == []
    state.notifies_stakeholders = True  # set by the workflow (patch stakeholders-notified)
    due = planner.plan(policy, state, NOW).due
    notices = [a for a in due if a.kind == "stakeholder_notice"]
    assert [a.person for a in notices] == ["cto", "sre-lead", "ops-lead", "dev-lead"]
    assert due.index(notices[0]) > max(i for i, a in enumerate(due) if a.kind in ("page", "escalation"))
    assert notices[0].reason == "sev0: the policy tells CTO (@cto) at once"
    state.fired += [a.key for a in due]
    later = planner.plan(policy, state, NOW + timedelta(hours=2)).due
    assert all(a.kind != "stakeholder_notice" for a in later)  # told once
