"""service/oncall.py without Temporal: who is on call (an override wins while it lasts), the shifts and gaps,
stored overrides added and removed, and what the handover lists from the ledger (or without one)."""

from datetime import UTC, date, datetime, timedelta

import pytest

import settings
from adapters.stores.overrides import OverrideStore, OverrideStoreError
from domain.incident.records import PostmortemRecord
from domain.incident.severity import Tier
from domain.oncall.rotation import Override
from service import oncall

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 12:00 Asia/Seoul


def cover(who: str = "minsu", hours: int = 4, reason: str = "swap") -> Override:
    return Override(tier=Tier.PRIMARY, who=who, start=T0, end=T0 + timedelta(hours=hours), reason=reason)


def test_on_call_now_shows_the_override_holder_with_contact_only_while_it_lasts(policy):
    during = oncall.on_call_now(policy, T0 + timedelta(hours=1), [cover()])
    primary = next(t for t in during["tiers"] if t["tier"] == "primary")
    assert (primary["who"], primary["name"], primary["override"]) == ("minsu", "Kim Minsu", "swap")
    assert (primary["since"], primary["until"]) == (T0, T0 + timedelta(hours=4))
    assert primary["slack_id"] == "U01MINSU" and during["timezone"] == policy.oncall.rotation.timezone

    after = oncall.on_call_now(policy, T0 + timedelta(hours=5), [cover()])
    assert next(t for t in after["tiers"] if t["tier"] == "primary")["override"] is None


def test_shifts_cut_at_the_override_and_coverage_has_no_problems_with_the_shipped_policy(policy):
    rows = oncall.shifts(policy, T0 - timedelta(hours=1), 1, [cover()], [Tier.PRIMARY])
    assert [r.override for r in rows if r.start <= T0 < r.end] == ["swap"]
    assert {r.tier for r in rows} == {Tier.PRIMARY}
    assert oncall.coverage_problems(policy, T0, 2, []) == []


def test_overrides_are_stored_listed_and_removed(ledger_url, tmp_path):
    store = OverrideStore(tmp_path, url=ledger_url)
    stored = oncall.add_override(store, cover(), created_by="jiyoung")
    assert [(o.id, o.who, o.created_by) for o in oncall.stored_overrides(store)] == [(stored.id, "minsu", "jiyoung")]
    assert oncall.remove_override(store, stored.id).reason == "swap"
    assert oncall.stored_overrides(store) == []
    with pytest.raises(OverrideStoreError, match="no override 'ovr-gone'"):
        oncall.remove_override(store, "ovr-gone")


def test_the_handover_lists_drafts_and_action_items_due_within_the_incoming_shift(monkeypatch, ledger, ledger_url,
                                                                                  policy):
    from domain.incident.lifecycle import new_incident
    from domain.incident.state import IncidentStart

    state = new_incident(policy, IncidentStart(id="svc-oncall-1", title="Payment errors", service="payments",
                                               severity="sev1", declared_by="minsu"), T0)
    ledger.record_incident(state, "declared", T0)
    ledger.save_draft(PostmortemRecord(incident_id=state.id, owner="minsu", deadline=T0 + timedelta(days=5),
                                       drafted_at=T0))
    ledger.add_action(state.id, "Add a canary", "jiyoung", date(2026, 11, 27), "short", "minsu", T0)
    ledger.add_action(state.id, "Rewrite billing", "hyunwoo", date(2027, 1, 30), "long", "minsu", T0)
    monkeypatch.setattr(settings, "get_settings", lambda: settings.Settings(database_url=ledger_url))

    followups = oncall.read_followups(T0)
    assert followups.from_ledger
    assert [(p.incident_id, p.owner) for p in followups.postmortems] == [(state.id, "minsu")]
    assert [a.title for a in followups.action_items] == ["Add a canary"]  # the long-term one is not due yet


def test_without_a_readable_ledger_the_handover_says_so(monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    broken = f"sqlite:///{tmp_path / 'a-file' / 'ledger.sqlite3'}"
    monkeypatch.setattr(settings, "get_settings", lambda: settings.Settings(database_url=broken))
    assert oncall.read_followups(T0).from_ledger is False
    assert oncall.ledger_records(T0, None) == []
