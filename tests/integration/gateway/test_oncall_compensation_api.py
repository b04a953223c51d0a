"""`GET /api/oncall/compensation` over real loopback HTTP (the gateway on the time-skipping server, the month's
incidents stubbed): the same report as `incident oncall compensation`, as CSV, Markdown and JSON, with the
gateway's stored overrides; commanders only (a responder gets a 403 naming the role it needs)."""

import pytest

import service.compensation
from adapters.stores.ledger import open_ledger
from adapters.stores.overrides import OverrideStore
from service import tokens
from testkit.compensation import (
    POLICY_OCTOBER_INCIDENTS,
    POLICY_OCTOBER_MINSU_CSV,
    POLICY_OCTOBER_MINSU_MD,
    POLICY_OCTOBER_OVERRIDE,
)
from testkit.gateway import address_of, served

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway(time_env, task_queue, monkeypatch):
    async def incidents(client, since, until):
        return POLICY_OCTOBER_INCIDENTS

    monkeypatch.setattr(service.compensation, "fetch_incident_records", incidents)
    with served(address_of(time_env.client), task_queue) as gateway:
        OverrideStore(gateway.settings.data_dir, url=gateway.settings.database_url).add(POLICY_OCTOBER_OVERRIDE)
        yield gateway


def _token(gateway, person: str) -> str:
    return tokens.issue(open_ledger(gateway.settings.database_url), name=f"{person}-laptop", kind="person",
                        person=person).secret


async def test_csv_markdown_and_json_for_a_commander(gateway):
    async with gateway.http(_token(gateway, "sre-lead")) as http:
        csv = await http.get("/api/oncall/compensation", params={"month": "2026-10", "format": "csv"})
        assert csv.status_code == 200, csv.text
        assert csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert csv.headers["content-disposition"] == 'attachment; filename="oncall-compensation-2026-10.csv"'
        lines = csv.text.splitlines()
        assert lines[0].startswith("month,who,name,hours,") and POLICY_OCTOBER_MINSU_CSV in lines
        assert len(lines) == 5  # the four people of primary and secondary

        md = await http.get("/api/oncall/compensation", params={"month": "2026-10", "format": "md"})
        assert md.headers["content-type"] == "text/markdown; charset=utf-8"
        assert POLICY_OCTOBER_MINSU_MD in md.text.splitlines()

        report = (await http.get("/api/oncall/compensation", params={"month": "2026-10"})).json()
        assert (report["month"], report["currency"], report["total"]) == ("2026-10", "KRW", "3150000.00")
        assert sorted(report["holidays"]) == ["2026-10-03", "2026-10-05", "2026-10-09"]


async def test_a_responder_is_refused_and_a_wrong_month_is_422(gateway):
    async with gateway.http(_token(gateway, "jiyoung")) as http:
        refused = await http.get("/api/oncall/compensation", params={"month": "2026-10"})
        assert refused.status_code == 403
        assert refused.json() == {"detail": "jiyoung is a responder: compensation needs commander"}
    async with gateway.http() as http:
        wrong = await http.get("/api/oncall/compensation", params={"month": "2026-13"})
        assert wrong.status_code == 422
        assert wrong.json()["detail"] == "month '2026-13': use a month like 2026-11"
        unknown = await http.get("/api/oncall/compensation", params={"month": "2026-10", "format": "xlsx"})
        assert unknown.status_code == 422
