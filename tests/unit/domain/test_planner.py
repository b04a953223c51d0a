"""The pure escalation planner, without Temporal."""

from datetime import UTC, datetime, timedelta

from domain.incident.lifecycle import new_incident
from domain.incident.planner import plan
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def incident(policy, severity=Severity.SEV1):
    return new_incident(policy, IncidentStart(id="x", title="t", service="payments", severity=severity,
                                              declared_by="minsu"), T0)


def test_first_plan_pages_primary_now_and_sleeps_until_the_response_deadline(policy):
    state = incident(policy)
    first = plan(policy, state, T0)
    assert [(a.kind, a.tier.value if a.tier else None) for a in first.due] == [("page", "primary")]
    assert first.next_at == T0 + timedelta(minutes=5)


def test_fired_actions_are_not_planned_again_and_the_next_deadline_follows(policy):
    state = incident(policy)
    state.fired += [a.key for a in plan(policy, state, T0).due]
    at_5 = plan(policy, state, T0 + timedelta(minutes=5))
    assert [(a.rule, a.tier.value) for a in at_5.due] == [("ack-timeout", "secondary")]
    state.fired += [a.key for a in at_5.due]
    assert plan(policy, state, T0 + timedelta(minutes=5)).next_at == T0 + timedelta(minutes=15)


def test_acknowledged_incident_has_no_ack_timeout(policy):
    state = incident(policy)
    state.acknowledged_at, state.acknowledged_by = T0 + timedelta(minutes=1), "minsu"
    keys = [a.key for a in plan(policy, state, T0 + timedelta(hours=2)).due]
    assert "ack-timeout" not in keys
    assert {"rule:sev1-15m", "rule:sev1-30m", "rule:sev0-sev1-1h"} <= set(keys)


def test_everything_is_overdue_at_once_after_a_long_outage_in_order(policy):
    """A worker down for two hours catches up: every due action, oldest first."""
    state = incident(policy, Severity.SEV0)
    due = plan(policy, state, T0 + timedelta(hours=2)).due
    assert due[0].key == "page:initial"
    assert [a.at for a in due] == sorted(a.at for a in due)
    assert {a.tier.value for a in due if a.tier} == {"primary", "secondary", "tertiary", "executive"}


def test_resolved_incident_plans_nothing(policy):
    state = incident(policy)
    from domain.incident.phases import Phase

    state.phase = Phase.RESOLVED
    result = plan(policy, state, T0 + timedelta(hours=5))
    assert result.due == [] and result.next_at is None


def test_comms_reminder_key_moves_with_the_last_update(policy):
    state = incident(policy, Severity.SEV3)
    state.fired.append("page:initial")
    state.last_comms_update_at = T0 + timedelta(minutes=7)
    reminders = [a for a in plan(policy, state, T0 + timedelta(minutes=22)).due if a.kind == "comms_reminder"]
    assert [r.at for r in reminders] == [T0 + timedelta(minutes=22)]
