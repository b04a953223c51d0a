"""Training completions in the ledger (service/training.py) on SQLite and PostgreSQL, and what they decide: an
override for someone without onboarding is refused by default, or only warned about with
`training.untrained_oncall: warn`; `incident oncall check` names rotation members without onboarding."""

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

import cli.oncall_cmd
from adapters.stores.ledger import open_ledger
from adapters.stores.overrides import OverrideStore
from cli.main import app
from domain.incident.severity import Tier
from domain.oncall.rotation import Override
from service import oncall, training
from service.errors import ServiceError

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
ROTATION = ("minsu", "jiyoung", "hyunwoo", "seoyeon", "sre-lead", "cto")


def cover(who: str) -> Override:
    return Override(tier=Tier.PRIMARY, who=who, start=T0, end=T0 + timedelta(hours=4), reason="swap")


def with_untrained_oncall(policy, mode: str):
    rules = policy.oncall.training.model_copy(update={"untrained_oncall": mode})
    return policy.model_copy(update={"oncall": policy.oncall.model_copy(update={"training": rules})})


def test_completions_are_recorded_with_the_policy_hours_and_listed_per_person(ledger, policy):
    first = training.record(ledger, policy, person="minsu", kind="onboarding", by="sre-lead",
                            at=T0, notes="  day one ")
    training.record(ledger, policy, person="jiyoung", kind="quarterly", by="sre-lead", hours=1.5)
    assert (first.id, first.hours, first.notes, first.completed_at) == (1, 4.0, "day one", T0)
    assert [(r.person, r.kind, r.hours) for r in training.records(ledger)] == [
        ("minsu", "onboarding", 4.0), ("jiyoung", "quarterly", 1.5)]
    assert [r.kind for r in training.records(ledger, "jiyoung")] == ["quarterly"]
    with pytest.raises(ServiceError, match="'mallory' is not listed under people"):
        training.record(ledger, policy, person="mallory", kind="onboarding", by="sre-lead")
    with pytest.raises(ServiceError, match="lies in the future"):
        training.record(ledger, policy, person="minsu", kind="drill", by="x", at=datetime.now(UTC) + timedelta(1))


def test_a_drill_participant_keeps_role_evaluation_and_the_scorecard(ledger, policy):
    card = {"name": "sev1-matchmaking", "incident_id": "drill-mm-1", "passed": True, "mtta_seconds": 240}
    training.record(ledger, policy, person="jiyoung", kind="drill", by="sre-lead", hours=1.5, role="ic",
                    evaluation="clear hand-offs; declare sooner", scorecard=card)
    [kept] = training.records(ledger, "jiyoung")
    assert (kept.role, kept.evaluation, kept.scorecard, kept.hours) == (
        "ic", "clear hand-offs; declare sooner", card, 1.5)
    with pytest.raises(ServiceError, match="a role and a scorecard belong to a drill record"):
        training.record(ledger, policy, person="jiyoung", kind="quarterly", by="sre-lead", role="ic")
    with pytest.raises(ServiceError, match="the scorecard must be the JSON object"):
        training.record(ledger, policy, person="jiyoung", kind="drill", by="sre-lead", scorecard={"x": 1})


def test_an_override_for_someone_without_onboarding_is_refused_then_allowed(ledger_url, tmp_path, policy):
    store = OverrideStore(tmp_path, url=ledger_url)
    with pytest.raises(training.UntrainedPerson, match=r"seoyeon \(Choi Seoyeon\) may not go on call yet: no "
                                                       r"onboarding recorded .*training.untrained_oncall = refuse"):
        oncall.add_override(store, cover("seoyeon"), policy=policy)
    assert oncall.stored_overrides(store) == []
    training.record(open_ledger(ledger_url), policy, person="seoyeon", kind="onboarding", by="sre-lead")
    assert oncall.add_override(store, cover("seoyeon"), policy=policy).who == "seoyeon"


def test_warn_only_warns(ledger_url, tmp_path, policy):
    store = OverrideStore(tmp_path, url=ledger_url)
    warnings: list[str] = []
    stored = oncall.add_override(store, cover("hyunwoo"), policy=with_untrained_oncall(policy, "warn"),
                                 warn=warnings.append)
    assert stored.who == "hyunwoo"
    assert warnings == ["warning: hyunwoo (Park Hyunwoo) may not go on call yet: no onboarding recorded (the "
                        "policy requires 4 h before going on call); record it with `incident training record "
                        "hyunwoo onboarding --by <you>`"]


def test_the_cli_check_names_the_untrained_and_override_refuses_them(monkeypatch, ledger_url, tmp_path, policy):
    store = OverrideStore(tmp_path, url=ledger_url)
    monkeypatch.setattr(cli.oncall_cmd, "_store", lambda: store)
    monkeypatch.setattr(cli.oncall_cmd, "_policy", lambda: policy)
    runner = CliRunner()
    for person in ROTATION[:-1]:
        training.record(open_ledger(ledger_url), policy, person=person, kind="onboarding", by="sre-lead")
    checked = runner.invoke(app, ["oncall", "check"])
    assert checked.exit_code == 1
    assert checked.output == ("executive: cto is in the rotation but no onboarding recorded (the policy requires "
                              "4 h before going on call)\n")
    refused = runner.invoke(app, ["oncall", "override", "--tier", "executive", "--who", "cto", "--from",
                                  "2026-12-01T09:00+09:00", "--to", "2026-12-02T09:00+09:00", "--reason", "swap"])
    # `incident` prints a CommandError as one line on stderr (cli/main.py); the runner keeps the exception
    assert refused.exit_code == 1 and "cto (CTO (@cto)) may not go on call yet" in str(refused.exception)
    training.record(open_ledger(ledger_url), policy, person="cto", kind="onboarding", by="sre-lead", hours=4)
    passed = runner.invoke(app, ["oncall", "check"])
    assert passed.exit_code == 0 and "everyone in the rotation completed onboarding" in passed.output
