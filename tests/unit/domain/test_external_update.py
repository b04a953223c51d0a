"""The policy's `external_update` template renders the status-page updates (seed 004 §4 external template)."""

from datetime import timedelta

from domain.comms.view import build_view
from domain.incident.lifecycle import new_incident
from domain.incident.phases import Phase
from domain.incident.state import IncidentStart
from domain.incident.status import StatusUpdate
from testkit.learning import NOW


def sev1(policy):
    start = IncidentStart(id="pay-1", title="Payment errors", service="payments", severity="sev1", declared_by="minsu")
    return new_incident(policy, start, NOW)


def test_the_first_update_follows_the_template(policy):
    state = sev1(policy)
    view = build_view(policy, state, NOW)
    assert view.external_update == (
        "Payment errors\n"
        f"What happened: {view.updates[-1].message}\n"
        "Current status: investigating\n"
        "Next update by: 2026-11-23 12:15 KST")  # 15 minutes after detection, team time


def test_a_posted_update_and_the_resolution(policy):
    state = sev1(policy)
    state.status_updates.append(StatusUpdate(status="identified", message="결제 게이트웨이 롤백 중", by="seoyeon",
                                             at=NOW + timedelta(minutes=5)))
    state.last_comms_update_at = NOW + timedelta(minutes=5)
    lines = build_view(policy, state, NOW + timedelta(minutes=6)).external_update.splitlines()
    assert lines[1:] == ["What happened: 결제 게이트웨이 롤백 중", "Current status: identified",
                         "Next update by: 2026-11-23 12:20 KST"]
    state.phase, state.resolved_at = Phase.RESOLVED, NOW + timedelta(minutes=30)
    assert build_view(policy, state, NOW + timedelta(minutes=31)).external_update.splitlines()[2:] == [
        "Current status: resolved", "Next update by: no further updates"]


def test_an_edited_template_is_what_status_pages_get(policy):
    templates = policy.incident.communication.templates.model_copy(
        update={"external_update": "[{status}] {service}: {message}"})
    communication = policy.incident.communication.model_copy(update={"templates": templates})
    edited = policy.model_copy(update={"incident": policy.incident.model_copy(update={"communication": communication})})
    view = build_view(edited, sev1(edited), NOW)
    assert view.external_update == f"[investigating] payments: {view.updates[-1].message}"
