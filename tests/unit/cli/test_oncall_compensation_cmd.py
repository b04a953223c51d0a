"""`incident oncall compensation` as an operator runs it: the policy of policies/, overrides from the ledger, the
month's incidents (Temporal stubbed out), Markdown on the terminal, CSV to a file, exit 2 for a wrong month."""

import json

import pytest
from typer.testing import CliRunner

import cli.oncall_cmd
import service.compensation
import service.temporal
from adapters.stores.overrides import OverrideStore
from cli.common import CommandError
from cli.main import app
from testkit.compensation import (
    POLICY_OCTOBER_INCIDENTS,
    POLICY_OCTOBER_MINSU_CSV,
    POLICY_OCTOBER_MINSU_MD,
    POLICY_OCTOBER_OVERRIDE,
)

runner = CliRunner()


@pytest.fixture
def october(monkeypatch, policy, tmp_path):
    store = OverrideStore(tmp_path, url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    store.add(POLICY_OCTOBER_OVERRIDE)
    asked = []

    async def incidents(client, since, until):
        asked.append((since, until))
        return POLICY_OCTOBER_INCIDENTS

    async def connect():
        return None

    monkeypatch.setattr(cli.oncall_cmd, "_policy", lambda: policy)
    monkeypatch.setattr(cli.oncall_cmd, "_store", lambda: store)
    monkeypatch.setattr(service.compensation, "fetch_incident_records", incidents)
    monkeypatch.setattr(service.temporal, "connect", connect)
    return asked


def test_markdown_on_the_terminal(october):
    result = runner.invoke(app, ["oncall", "compensation", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# On-call compensation 2026-10"
    assert POLICY_OCTOBER_MINSU_MD in lines
    assert [(s.isoformat(), u.isoformat()) for s, u in october] == [("2026-10-01T00:00:00+09:00",
                                                                   "2026-11-01T00:00:00+09:00")]


def test_csv_to_a_file_and_json(october, tmp_path):
    out = tmp_path / "october.csv"
    result = runner.invoke(app, ["oncall", "compensation", "--month", "2026-10", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote the 2026-10 compensation report (4 people) to {out}\n"
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("month,who,name,hours,") and POLICY_OCTOBER_MINSU_CSV in lines
    # jiyoung: secondary 12–19 October, primary 19–26; the weekend override falls inside her own shift
    jiyoung = next(line for line in lines if line.startswith("2026-10,jiyoung,"))
    assert jiyoung.split(",")[3] == "336"

    shown = runner.invoke(app, ["oncall", "compensation", "--month", "2026-10", "--format", "json"])
    report = json.loads(shown.stdout)
    assert (report["currency"], report["total"]) == ("KRW", "3150000.00")  # 1,200,000 + 810,000 + 660,000 + 480,000
    minsu = next(row for row in report["rows"] if row["who"] == "minsu")
    assert (minsu["hours"], minsu["holiday_hours"], minsu["night_pages"], minsu["total"]) == (288, 39, 1, "660000.00")


@pytest.mark.parametrize("month", ["2026-13", "october"])
def test_a_wrong_month_is_a_usage_error(october, month):
    """`incident` (cli.main.run) prints a CommandError as `error: …` and exits with its code."""
    result = runner.invoke(app, ["oncall", "compensation", "--month", month])
    assert isinstance(result.exception, CommandError) and result.exception.code == 2
    assert str(result.exception) == f"--month: month {month!r}: use a month like 2026-11"
    assert october == []  # nothing was read
