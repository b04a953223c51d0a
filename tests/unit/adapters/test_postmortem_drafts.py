"""Postmortem drafts in the ledger (docs/learning-loop.md, "Drafts"), on SQLite and PostgreSQL: each save is the
next version, a save from a stale version is refused naming who saved and changes nothing, a published
postmortem takes no more saves, and a hand edit of the export file is taken in as a version while a stale export
is not."""

from datetime import UTC, datetime, timedelta

import pytest

from adapters import postmortem_files
from domain.incident.lifecycle import new_incident
from domain.incident.records import PostmortemRecord
from domain.incident.state import IncidentStart
from service import postmortems
from service.errors import ServiceError

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def drafted(ledger, policy, tmp_path):
    state = new_incident(policy, IncidentStart(id="pm-drafts-1", title="Payment errors", service="payments",
                                               severity="sev1", declared_by="minsu"), NOW)
    ledger.record_incident(state, "declared", NOW)
    path = tmp_path / "postmortems" / f"{state.id}.md"
    ledger.save_draft(PostmortemRecord(incident_id=state.id, deadline=NOW + timedelta(days=2), drafted_at=NOW,
                                       path=str(path), markdown="# first draft\n"))
    postmortem_files.export(ledger, state.id, path, "# first draft\n")
    return state.id, path


def test_saves_are_versioned_and_a_stale_save_is_refused(ledger, drafted):
    incident, path = drafted
    first = postmortems.draft(ledger, incident)
    assert (first.version, first.markdown, first.updated_by) == (1, "# first draft\n", None)
    saved = postmortems.save(ledger, incident, "# jiyoung's draft\n", "jiyoung", 1, NOW)
    assert (saved.version, saved.updated_by, saved.updated_at) == (2, "jiyoung", NOW)
    assert path.read_text(encoding="utf-8") == "# jiyoung's draft\n"  # the export follows the ledger

    with pytest.raises(postmortems.DraftConflict) as stale:
        postmortems.save(ledger, incident, "# minsu's draft\n", "minsu", 1, NOW)
    assert str(stale.value) == (
        "the postmortem of pm-drafts-1 was saved by jiyoung since you opened it (version 2, yours started from 1); "
        "nothing was overwritten: copy your text, reload the draft and apply your changes again")
    assert postmortems.draft(ledger, incident).markdown == "# jiyoung's draft\n"
    assert postmortems.save(ledger, incident, "# minsu's draft\n", "minsu", 2, NOW).version == 3


def test_a_hand_edited_export_is_taken_in_and_a_stale_export_is_not(ledger, drafted):
    incident, path = drafted
    path.write_text("# edited on the worker's host\n", encoding="utf-8")
    taken = postmortems.draft(ledger, incident)
    assert (taken.version, taken.markdown, taken.updated_by) == (2, "# edited on the worker's host\n",
                                                                 "the export file")
    # saved from elsewhere (the console, where the data dir is not reachable): the file is now a stale export
    ledger.save_postmortem_draft(incident, "# from the console\n", "minsu", NOW, started_from=2)
    path.write_text("# edited on the worker's host\n", encoding="utf-8")
    assert postmortems.draft(ledger, incident).markdown == "# from the console\n"


def test_a_published_postmortem_takes_no_more_saves(ledger, drafted):
    incident, _ = drafted
    ledger.publish_postmortem(incident, "jiyoung", NOW, "# final\n")
    with pytest.raises(ServiceError, match="the postmortem of pm-drafts-1 is already published"):
        postmortems.save(ledger, incident, "# late\n", "minsu", 1, NOW)
    with pytest.raises(ServiceError, match="no postmortem for incident 'nope' yet"):
        postmortems.draft(ledger, "nope")
