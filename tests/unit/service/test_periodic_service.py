"""Periodic checks in the ledger (service/periodic.py) on SQLite and PostgreSQL: completions recorded and refused,
each check's current and previous period, the `incident periodic` commands, and the reviews' section."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

import cli.periodic_cmd
from adapters.report_files import write_report
from cli.main import app
from domain.learning.reports import parse_period
from service import periodic, training
from service.errors import ServiceError

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 12:00 in Seoul, 2026-W48


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_completion_is_recorded_once_per_check_and_period(ledger, policy):
    entry = periodic.record(ledger, policy, item="weekly-stats", by="minsu", recorded_by="sre-lead",
                            notes=" 4 incidents, MTTA on target ", at=at("2026-11-24T10:00+09:00"))
    assert (entry.period, entry.completed_by, entry.recorded_by, entry.notes) == (
        "2026-W48", "minsu", "sre-lead", "4 incidents, MTTA on target")
    with pytest.raises(ServiceError, match=r"^weekly-stats 2026-W48 is already recorded as done by minsu at "
                                           r"2026-11-24T01:00:00\+00:00$"):
        periodic.record(ledger, policy, item="weekly-stats", by="jiyoung", recorded_by="jiyoung",
                        at=at("2026-11-25T10:00+09:00"))
    [kept] = periodic.completions(ledger)
    assert kept == entry.model_copy(update={"recorded_at": kept.recorded_at})
    late = periodic.record(ledger, policy, item="monthly-review", by="sre-lead", recorded_by="sre-lead",
                           period="2026-11", at=at("2026-12-02T10:00+09:00"))
    assert late.period == "2026-11"


@pytest.mark.parametrize(("change", "problem"), [
    ({"item": "weekly-statz"}, "unknown periodic check 'weekly-statz' (the policy's checks: weekly-stats, "
                               "monthly-review, quarterly-training, annual-plan)"),
    ({"period": "2026-12"}, "weekly-stats: period '2026-12' is not a week: a week looks like 2026-W49"),
    ({"at": datetime.now(UTC) + timedelta(hours=1)}, "lies in the future"),
    ({"period": "2026-W49"}, "weekly-stats 2026-W49 begins 2026-11-30T00:00:00+09:00: it cannot have been done at"),
    ({"by": "mallory"}, "'mallory' is not listed under people in the on-call policy"),
])
def test_refusals_name_what_is_wrong(ledger, policy, change, problem):
    arguments = {"item": "weekly-stats", "by": "minsu", "recorded_by": "minsu", "at": at("2026-11-24T10:00+09:00"),
                 **change}
    with pytest.raises(ServiceError) as refused:
        periodic.record(ledger, policy, **arguments)
    assert problem in str(refused.value)
    assert periodic.completions(ledger) == []


def test_overview_shows_current_and_previous_periods_and_the_owner_on_call(ledger, policy):
    periodic.record(ledger, policy, item="weekly-stats", by="sre-lead", recorded_by="sre-lead", period="2026-W47",
                    notes="quiet week", at=at("2026-11-20T17:00+09:00"))
    training.record(ledger, policy, person="jiyoung", kind="drill", by="sre-lead", notes="2026-Q4 tabletop",
                    at=at("2026-11-10T10:00+09:00"))
    items = {i.item: i for i in periodic.overview(ledger, policy, NOW)}
    weekly = items["weekly-stats"]
    assert (weekly.current.period, weekly.current.status, weekly.owner_oncall) == ("2026-W48", "due", "sre-lead")
    assert (weekly.previous.period, weekly.previous.status, weekly.previous.by, weekly.previous.notes) == (
        "2026-W47", "done", "sre-lead", "quiet week")
    quarterly = items["quarterly-training"]
    assert (quarterly.current.status, quarterly.current.via, quarterly.current.by) == ("done", "drill", "jiyoung")
    assert (quarterly.previous.period, quarterly.previous.status) == ("2026-Q3", "missed")
    assert (items["annual-plan"].current.period, items["annual-plan"].previous.period) == ("2026", "2025")


@pytest.fixture
def cli_on(monkeypatch, ledger, policy):
    monkeypatch.setattr(cli.periodic_cmd, "ledger", lambda: ledger)
    monkeypatch.setattr(cli.periodic_cmd, "policy", lambda: policy)
    return CliRunner()


def test_the_cli_records_lists_and_refuses(cli_on):
    recorded = cli_on.invoke(app, ["periodic", "done", "monthly-review", "--period", "2026-11", "--at",
                                   "2026-11-28T15:00", "--notes", "policy v1.1: sev2 comms every 30m", "--by",
                                   "sre-lead"])
    assert recorded.exit_code == 0, recorded.output
    assert recorded.output == "recorded: monthly-review 2026-11 done by sre-lead at 2026-11-28 15:00\n"
    again = cli_on.invoke(app, ["periodic", "done", "monthly-review", "--period", "2026-11", "--by", "minsu"])
    # `incident` prints a CommandError as one line on stderr with its exit code (cli/main.py); the runner keeps it
    assert again.exception.code == 1 and "monthly-review 2026-11 is already recorded as done by sre-lead" in str(
        again.exception)
    for arguments, problem in [
        (["nope", "--by", "minsu"], "ITEM 'nope': use weekly-stats, monthly-review, quarterly-training, annual-plan"),
        (["annual-plan", "--period", "2026-Q4", "--by", "minsu"], "period '2026-Q4' is not a year"),
        (["annual-plan", "--at", "2999-01-01T00:00", "--by", "minsu"], "lies in the future"),
    ]:
        refused = cli_on.invoke(app, ["periodic", "done", *arguments])
        assert refused.exception.code == 2 and problem in str(refused.exception), arguments

    listed = cli_on.invoke(app, ["periodic", "list", "--json", "--at", "2026-12-02T09:00"])
    assert listed.exit_code == 0, listed.output
    monthly = {i["item"]: i for i in json.loads(listed.output)}["monthly-review"]
    assert (monthly["current"]["period"], monthly["current"]["status"]) == ("2026-12", "due")
    assert {k: monthly["previous"][k] for k in ("period", "status", "by", "at", "notes")} == {
        "period": "2026-11", "status": "done", "by": "sre-lead", "at": "2026-11-28T06:00:00Z",
        "notes": "policy v1.1: sev2 comms every 30m"}
    table = cli_on.invoke(app, ["periodic", "list", "--at", "2026-12-02T09:00"], env={"COLUMNS": "160"})
    assert table.exit_code == 0
    assert "2026-11: done by sre-lead at 2026-11-28 15:00" in table.output
    assert "2026-W48: MISSED (ended 2026-11-29)" in table.output
    assert "weekly-stats: 주간 인시던트 통계 분석 (weekly incident statistics)" in table.output


def test_the_reviews_show_the_periodic_checks_of_their_period(ledger, policy, tmp_path):
    periodic.record(ledger, policy, item="weekly-stats", by="minsu", recorded_by="sre-lead", period="2026-W47",
                    notes="5 incidents | sev0 MTTD over", at=at("2026-11-22T18:00+09:00"))
    now = at("2026-11-30T09:00+09:00")
    weekly = write_report(ledger, policy, parse_period("weekly", "2026-W47", policy.incident.timezone, now),
                          tmp_path, now)
    lines = weekly.markdown.splitlines()
    assert "## Periodic checks" in lines
    assert ("| 주간 인시던트 통계 분석 (weekly incident statistics) (`weekly-stats`) | 2026-W47 | ✅ done | minsu |"
            " 2026-11-22 18:00 | 5 incidents \\| sev0 MTTD over |") in lines
    assert ("| 월간 정책 및 절차 검토 (monthly policy and procedure review) (`monthly-review`) | 2026-11 | "
            "⏳ due by 2026-11-30 | – | – | – |") in lines
    assert any(line.startswith("| 분기별") and "| 2026-Q4 | ⏳ due by 2026-12-31 |" in line for line in lines)
    report = weekly.report.model_dump(mode="json")
    assert [(c["item"], c["period"], c["status"]) for c in report["periodic_checks"]] == [
        ("weekly-stats", "2026-W47", "done"), ("monthly-review", "2026-11", "due"),
        ("quarterly-training", "2026-Q4", "due"), ("annual-plan", "2026", "due")]
    monthly = write_report(ledger, policy, parse_period("monthly", "2026-11", policy.incident.timezone, now),
                           tmp_path, at("2026-12-01T09:00+09:00"))
    weeks = [(c.period, c.status) for c in monthly.report.periodic_checks if c.item == "weekly-stats"]
    assert weeks == [("2026-W44", "missed"), ("2026-W45", "missed"), ("2026-W46", "missed"), ("2026-W47", "done"),
                     ("2026-W48", "missed"), ("2026-W49", "due")]
    assert "| 2026-11 | ❌ missed | – | – | – |" in monthly.markdown
