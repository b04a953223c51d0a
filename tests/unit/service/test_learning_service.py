"""service/postmortems.py, service/action_items.py and service/reports.py on the ledger alone: what a client
reads back after it changed something, and the one-line refusals."""

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.incident.lifecycle import new_incident
from domain.incident.records import PostmortemRecord
from domain.incident.state import IncidentStart
from service.action_items import list_action_items
from service.errors import ServiceError
from service.postmortems import postmortem, save_draft
from service.reports import review_period, write_review

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture
def incident(ledger, policy):
    state = new_incident(policy, IncidentStart(id="svc-learning-1", title="Payment errors", service="payments",
                                               severity="sev1", declared_by="minsu"), NOW)
    ledger.record_incident(state, "declared", NOW)
    return state


def test_a_saved_draft_is_what_the_postmortem_shows(ledger, incident):
    with pytest.raises(ServiceError, match="no postmortem for incident 'svc-learning-1' yet"):
        postmortem(ledger, incident.id)
    ledger.save_draft(PostmortemRecord(incident_id=incident.id, deadline=NOW + timedelta(days=5), drafted_at=NOW,
                                       markdown="# first draft"))
    save_draft(ledger, incident.id, "# edited\n\nroot cause: config\n")
    shown = postmortem(ledger, incident.id)
    assert (shown.status, shown.markdown) == ("draft", "# edited\n\nroot cause: config\n")


def test_action_items_list_soonest_first_filtered_by_owner_and_status(ledger, incident):
    late = ledger.add_action(incident.id, "Rewrite billing", "hyunwoo", date(2026, 12, 30), "long", "minsu", NOW)
    soon = ledger.add_action(incident.id, "Add a canary", "jiyoung", date(2026, 11, 27), "short", "minsu", NOW)
    ledger.complete_action(soon.id, "jiyoung", NOW)
    assert [i.title for i in list_action_items(ledger)] == ["Add a canary", "Rewrite billing"]
    assert [i.id for i in list_action_items(ledger, open_only=True)] == [late.id]
    assert [i.id for i in list_action_items(ledger, owner="jiyoung")] == [soon.id]


def test_a_weekly_review_is_written_for_the_period_asked(ledger, policy, incident, tmp_path):
    with pytest.raises(ValueError, match="a weekly period looks like 2026-W47"):
        review_period(policy, "weekly", "2026-11", NOW)
    period = review_period(policy, "weekly", "2026-W48", NOW)
    written = write_review(ledger, policy, period, tmp_path, NOW)
    assert written.markdown_path.endswith("incident-review-2026-W48.md")
    assert (tmp_path / "incident-review-2026-W48.md").read_text(encoding="utf-8") == written.markdown
    assert (tmp_path / "incident-review-2026-W48.png").exists()
