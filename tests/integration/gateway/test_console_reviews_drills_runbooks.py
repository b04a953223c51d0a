"""The console's Reviews, Drills and Runbooks pages and `/api/reports` over real loopback HTTP (docs/console.md,
"Reviews", "Drills", "Runbooks"), on a gateway without Temporal: the weekly review of the hand-computed fixture
week shows its metrics against targets as pass/fail words, its counts, postmortems and periodic checks, and a chart
that is a PNG; the JSON API gives the same numbers; a viewer reads every page; the drills are listed with their
severity and length; a responder is refused a live drill (shown next to it, nothing started) and a form without
the CSRF token changes nothing; the runbook catalog shows what each runbook matches and which steps need approval,
and says why recent runs cannot be read without Temporal."""

import html
import re

import httpx
import pytest

from adapters.policy_files import load_policy
from adapters.stores.ledger import open_ledger
from testkit.console_http import console_session
from testkit.gateway import TOKEN
from testkit.learning import PERIOD, fixture_states
from testkit.oncall_console import oncall_gateway

VIEWER, RESPONDER, COMMANDER = "customer-support-lead", "hyunwoo", "cto"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with oncall_gateway(tmp_path_factory.mktemp("console-reviews")) as served_gateway:
        ledger = open_ledger(served_gateway.settings.database_url)
        for state in fixture_states(load_policy(served_gateway.settings.policy_dir)).values():
            ledger.record_incident(state, "fixture", state.detected_at)
        yield served_gateway


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def row(page: str, attribute: str, value: str) -> str:
    found = re.search(rf'<tr {attribute}="{re.escape(value)}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"no row {attribute}={value}"
    return text_of(found.group(1))


def test_the_weekly_review_shows_metrics_against_targets_counts_and_a_chart(gateway):
    with console_session(gateway, VIEWER) as (browser, _):
        page = browser.get("/reviews", params={"kind": "weekly", "period": PERIOD})
        assert page.status_code == 200, page.text
        body = page.text
        assert f"Weekly incident review — {PERIOD}" in text_of(body)
        assert "drills excluded: 1" in text_of(body) and "5 incident(s)" in text_of(body)
        sev0 = re.findall(r'<tr data-metric="[^"]*" data-scope="sev0">(.*?)</tr>', body, re.S)
        verdicts = [text_of(r).split()[-1] for r in sev0]
        assert "pass" in verdicts and "fail" in verdicts  # MTTR 15m meets its target, MTTD 1m30s misses 1m
        assert 'class="verdict-fail"' in body and 'class="verdict-pass"' in body
        assert row(body, "data-severity", "sev0").split()[:3] == ["sev0", "2", "2"]  # A and B, both resolved
        assert "Periodic checks" in body and 'id="review-compliance"' in body and 'id="review-postmortems"' in body
        assert 'href="/reviews?kind=weekly&amp;period=2026-W46"' in body
        assert 'href="/reviews?kind=weekly&amp;period=2026-W48"' in body
        chart = browser.get(f"/reviews/weekly/{PERIOD}/chart.png")
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
        assert chart.content.startswith(b"\x89PNG")
        bad = browser.get("/reviews", params={"kind": "weekly", "period": "2026-W99"})
        assert bad.status_code == 422 and "no such ISO week" in text_of(bad.text)


def test_the_reports_api_gives_the_review_as_json_and_names_a_bad_period(gateway):
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        report = http.get(f"/api/reports/weekly/{PERIOD}")
        assert report.status_code == 200, report.text
        found = report.json()
        assert found["period"]["label"] == PERIOD and found["drills_excluded"] == 1
        assert sorted(r["id"] for r in found["incidents"]) == ["A", "B", "C", "D", "E"]
        assert http.get("/api/reports/monthly/current").json()["period"]["kind"] == "monthly"
        bad = http.get("/api/reports/monthly/2026-13")
        assert bad.status_code == 422 and "2026-13" in bad.text
        assert http.get("/api/reports/weekly/9999-W52").status_code == 422  # its end is in year 10000
        assert http.get(f"/api/reports/weekly/{PERIOD}/chart.png").content.startswith(b"\x89PNG")
        paths = http.get("/openapi.json").json()["paths"]
        assert "/api/reports/{kind}/{period}" in paths
    assert httpx.get(f"{gateway.url}/api/reports/weekly/{PERIOD}", timeout=30).status_code == 401


def test_drills_are_listed_and_a_responder_is_refused_a_live_drill(gateway):
    with console_session(gateway, VIEWER) as (viewer, _):
        page = viewer.get("/drills")
        assert page.status_code == 200, page.text
        card = re.search(r'<article class="run" data-scenario="friends-list-sev2">(.*?)</article>', page.text, re.S)
        assert card and "Severity: sev2 (from the alert)" in text_of(card.group(1))
        assert "Run instant drill: customer-support-lead is a viewer" in text_of(page.text)
    with console_session(gateway, RESPONDER) as (responder, csrf):
        page = responder.get("/drills").text
        assert "Start live drill: hyunwoo is a responder: training needs commander" in text_of(page)
        assert 'data-action="instant-friends-list-sev2"' in page
        refused = responder.post("/drills/friends-list-sev2/run", data={"mode": "live", "speed": "10",
                                                                         "csrf_token": csrf})
        assert refused.status_code == 403
        assert "Not allowed: hyunwoo is a responder: training needs commander" in text_of(refused.text)
        no_token = responder.post("/drills/friends-list-sev2/run", data={"mode": "instant"})
        assert no_token.status_code == 403 and "no valid CSRF token" in no_token.text
    with console_session(gateway, COMMANDER) as (commander, csrf):
        wrong = commander.post("/drills/friends-list-sev2/run", data={"mode": "live", "speed": "fast",
                                                                       "csrf_token": csrf})
        assert wrong.status_code == 422
        error = re.search(r'id="live-friends-list-sev2-speed-error" role="alert">([^<]*)<', wrong.text)
        assert error and html.unescape(error.group(1)).startswith("'fast' is not a number")
        assert 'value="fast"' in wrong.text


def test_the_runbook_catalog_shows_what_each_runbook_matches_and_its_approvals(gateway):
    with console_session(gateway, VIEWER) as (viewer, _):
        page = viewer.get("/runbooks")
        assert page.status_code == 200, page.text
        body = page.text
        articles = re.findall(r'<article class="run" data-runbook="([^"]+)">(.*?)</article>', body, re.S)
        assert articles, "no runbooks listed"
        shown = {name: text_of(part) for name, part in articles}
        assert "Matches: label alertname matches GameServer(Down|FleetDown); severity is sev0 or sev1" in shown[
            "game-server-fleet-down"]
        assert any("needs approval" in t for t in shown.values())
        assert "Recent runs unavailable" in text_of(body)
