"""The incident ledger on SQLite and PostgreSQL: idempotent upserts, drills, postmortems, action items,
and migrations that keep data."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from adapters.stores import ledger_schema
from adapters.stores.ledger import Ledger
from adapters.stores.ledger_engine import LedgerError, make_engine
from adapters.stores.ledger_migrations import LATEST, current_version, migrate
from domain.incident import decision_rules
from domain.incident import decisions as d
from domain.incident.lifecycle import new_incident
from domain.incident.records import PostmortemRecord
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart

T0 = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)
KST = timezone(timedelta(hours=9))


def incident(policy, id_="inc-1", drill=False, at=T0):
    start = IncidentStart(id=id_, title="Payment errors", service="payments", severity=Severity.SEV1,
                          declared_by="minsu", drill=drill, started_at=at - timedelta(minutes=3))
    return new_incident(policy, start, at)


def test_phase_changes_are_upserted_once_and_never_rolled_back(ledger, policy):
    state = incident(policy)
    assert ledger.record_incident(state, "declared", T0)
    decision_rules.apply(state, d.Acknowledge(by="jiyoung"), T0 + timedelta(minutes=2))
    acked = state.model_copy(deep=True)
    assert ledger.record_incident(acked, "2:triaged", T0 + timedelta(minutes=2))
    assert ledger.record_incident(acked, "2:triaged", T0 + timedelta(minutes=2))  # retried activity
    decision_rules.apply(state, d.Resolve(by="jiyoung", summary="rolled back"), T0 + timedelta(minutes=20))
    ledger.record_incident(state, "4:resolved", T0 + timedelta(minutes=20))
    # an older snapshot delivered late must not undo the resolution
    assert not ledger.record_incident(acked, "2:triaged-late", T0 + timedelta(minutes=21))

    row = ledger.incident("inc-1")
    assert row.phase.value == "resolved"
    assert row.acknowledged_at == T0 + timedelta(minutes=2)
    assert row.resolved_at == T0 + timedelta(minutes=20)
    assert row.started_at == T0 - timedelta(minutes=3)
    assert row.started_at.tzinfo is not None
    assert [e["event_id"] for e in ledger.events("inc-1")] == ["declared", "2:triaged", "4:resolved",
                                                                "2:triaged-late"]
    texts = [e["text"] for e in ledger.timeline("inc-1")]
    assert len(texts) == len(state.timeline)
    assert texts[-1].startswith("jiyoung resolved the incident")
    assert ledger.snapshot("inc-1").summary == "rolled back"


def test_timestamps_in_any_zone_come_back_as_the_same_instant_in_utc(ledger, policy):
    state = incident(policy, at=datetime(2026, 11, 16, 10, 0, tzinfo=KST))
    ledger.record_incident(state, "declared", T0)
    row = ledger.incident(state.id)
    assert row.detected_at == datetime(2026, 11, 16, 1, 0, tzinfo=UTC)
    assert row.detected_at.utcoffset() == timedelta(0)


def test_drills_are_stored_flagged_and_left_out_unless_asked_for(ledger, policy):
    ledger.record_incident(incident(policy, "real"), "declared", T0)
    ledger.record_incident(incident(policy, "drill", drill=True), "declared", T0)
    assert [r.id for r in ledger.incidents()] == ["real"]
    everything = ledger.incidents(include_drills=True)
    assert {(r.id, r.drill) for r in everything} == {("real", False), ("drill", True)}
    assert [r.id for r in ledger.incidents(since=T0 + timedelta(hours=1))] == []


def test_a_draft_is_never_overwritten_and_publishing_is_idempotent(ledger, policy):
    ledger.record_incident(incident(policy), "declared", T0)
    deadline = T0 + timedelta(hours=48)
    ledger.save_draft(PostmortemRecord(incident_id="inc-1", owner="jiyoung", deadline=deadline, drafted_at=T0,
                                       markdown="# draft v1"))
    ledger.update_draft("inc-1", "# edited by jiyoung")
    again = ledger.save_draft(PostmortemRecord(incident_id="inc-1", deadline=deadline, drafted_at=T0,
                                               markdown="# draft v1"))
    assert again.markdown == "# edited by jiyoung"
    assert again.on_time(T0 + timedelta(hours=1)) is None
    assert again.on_time(deadline + timedelta(seconds=1)) is False

    published = ledger.publish_postmortem("inc-1", "jiyoung", T0 + timedelta(hours=30), "# final")
    assert (published.status, published.published_by, published.on_time(T0 + timedelta(days=9))) == (
        "published", "jiyoung", True)
    assert ledger.publish_postmortem("inc-1", "someone-else", T0 + timedelta(hours=50), "# x") == published
    assert ledger.mark_postmortem_missed("inc-1", deadline).missed_notified_at is None  # published in time
    with pytest.raises(LedgerError, match="already published"):
        ledger.update_draft("inc-1", "late edit")
    with pytest.raises(LedgerError, match="no postmortem for incident 'nope'"):
        ledger.publish_postmortem("nope", "x", T0, "")


def test_action_items_add_list_and_done(ledger, policy):
    ledger.record_incident(incident(policy), "declared", T0)
    first = ledger.add_action("inc-1", "Add payment canary", "jiyoung", date(2026, 12, 1), "short", "minsu", T0)
    second = ledger.add_action("inc-1", "Split the gateway", "minsu", date(2027, 3, 1), "long", "minsu", T0)
    assert first.id != second.id and first.status == "open"
    assert [a.title for a in ledger.actions(owner="jiyoung")] == ["Add payment canary"]
    done = ledger.complete_action(first.id, "jiyoung", T0 + timedelta(days=3))
    assert (done.status, done.done_by) == ("done", "jiyoung")
    assert [a.id for a in ledger.actions(open_only=True)] == [second.id]
    with pytest.raises(LedgerError, match="already done by jiyoung"):
        ledger.complete_action(first.id, "minsu", T0)
    with pytest.raises(LedgerError, match="no incident 'ghost'"):
        ledger.add_action("ghost", "x", "y", date(2026, 12, 1), "mid", "z", T0)
    ledger.note_action_reminder(second.id, T0 + timedelta(days=7))
    assert ledger.action(second.id).reminders_sent == 1


def test_migrating_a_version_1_database_keeps_every_row(ledger_url):
    engine = make_engine(ledger_url)
    assert migrate(engine, target=1) == [1]
    with engine.begin() as conn:
        assert current_version(conn) == 1
        conn.execute(sa.text(
            "INSERT INTO incidents (id, service, severity, title, source, fingerprints, phase, drill, declared_by,"
            " started_at, detected_at, resolved_at, snapshot, version, updated_at, root_cause_category) VALUES"
            " ('old-1', 'payments', 'sev1', 'Old outage', 'alertmanager', '[\"fp1\"]', 'closed', false, 'minsu',"
            " :started, :detected, :resolved, '{}', 7, :detected, 'deploy')"),
            {"started": _db_time(conn, T0), "detected": _db_time(conn, T0 + timedelta(minutes=4)),
             "resolved": _db_time(conn, T0 + timedelta(minutes=40))})
        conn.execute(sa.text(
            "INSERT INTO postmortems (incident_id, status, owner, deadline, drafted_at, markdown) VALUES"
            " ('old-1', 'draft', 'jiyoung', :deadline, :drafted, '# old draft')"),
            {"deadline": _db_time(conn, T0 + timedelta(hours=48)), "drafted": _db_time(conn, T0)})
        conn.execute(sa.text(
            "INSERT INTO action_items (incident_id, title, owner, due, term, status, created_at, created_by)"
            " VALUES ('old-1', 'Old action', 'jiyoung', :due, 'mid', 'open', :created, 'minsu')"),
            {"due": date(2026, 12, 1), "created": _db_time(conn, T0)})
    engine.dispose()

    upgraded = Ledger(ledger_url)  # opening migrates
    try:
        with upgraded.engine.connect() as conn:
            assert current_version(conn) == LATEST == 11
        old = upgraded.incident("old-1")
        assert (old.title, old.root_cause_category, old.recurrence_of) == ("Old outage", "deploy", None)
        assert old.resolved_at - old.detected_at == timedelta(minutes=36)
        pm = upgraded.postmortem("old-1")
        assert (pm.markdown, pm.reminders_sent, pm.missed_notified_at) == ("# old draft", 0, None)
        (item,) = upgraded.actions()
        assert (item.title, item.due, item.reminders_sent) == ("Old action", date(2026, 12, 1), 0)
        upgraded.note_action_reminder(item.id, T0)  # a v2 column works on the old row
        assert upgraded.action(item.id).reminders_sent == 1
        assert migrate(upgraded.engine) == []  # already current: nothing re-applied
    finally:
        upgraded.dispose()


def test_migrations_build_exactly_the_declared_schema(ledger):
    inspector = sa.inspect(ledger.engine)
    for table in ledger_schema.metadata.sorted_tables:
        actual = {c["name"] for c in inspector.get_columns(table.name)}
        assert actual == set(table.columns.keys()), table.name


def test_an_unknown_database_url_is_named():
    with pytest.raises(LedgerError, match="'mysql'"):
        Ledger("mysql://x@localhost/db")


def _db_time(conn, value: datetime):
    return value if conn.dialect.name == "postgresql" else value.replace(tzinfo=None)
