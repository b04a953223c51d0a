"""The console's On call page in a real browser (Debian's Chromium through Selenium) against the real gateway
(docs/console.md, "On call"): a commander sees who holds each tier and why the override forms are not theirs; an
admin creates an override — an end before the start is named next to the End field first, with what was typed
kept — sees it in the calendar, and removes it; at 390 px the page does not scroll sideways.
Screenshots: test-artifacts/console/oncall-….png."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from testkit.browser import chromium
from testkit.gateway import TOKEN
from testkit.oncall_console import ADMIN, COMMANDER, onboarded, oncall_gateway

pytestmark = pytest.mark.timeout(300)
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    with oncall_gateway(tmp_path_factory.mktemp("console-oncall")) as served_gateway:
        onboarded(served_gateway, "hyunwoo")
        yield served_gateway


def on_call_now(gateway) -> dict:
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        return {t["tier"]: t for t in http.get("/api/oncall").json()["tiers"]}


def set_time(browser, css: str, local: datetime) -> None:
    """A datetime-local field, as a person's date picker leaves it."""
    browser.driver.execute_script("arguments[0].value = arguments[1];", browser.element(css),
                                  local.strftime("%Y-%m-%dT%H:%M"))


def test_a_commander_sees_who_is_on_call_and_an_admin_creates_and_removes_an_override(gateway):
    holders = on_call_now(gateway)
    with chromium(gateway.url, "oncall-cto") as cto:
        cto.log_in(COMMANDER)
        cto.open("/oncall")
        primary = cto.wait_text('#oncall-now tr[data-tier="primary"] [data-field="holder"]', holders["primary"]["name"])
        assert f"({holders['primary']['who']})" in primary and "rotation" in primary
        assert "SRE Team Lead (@game-sre-lead)" in cto.text('#oncall-now tr[data-tier="tertiary"]')
        assert "sre-lead@game.example" in cto.text('#oncall-now tr[data-tier="tertiary"]')
        assert cto.text('[data-refusal="overrides"]') == "Overrides: cto is a commander: overrides needs admin"
        assert not cto.elements("#form-create") and not cto.elements("#form-swap")
        assert len(cto.elements("table.oncall-week")) == 4 and len(cto.elements("table.oncall-week tbody tr")) == 28
        assert cto.element("#feed-me").get_attribute("value").startswith(f"{gateway.url}/oncall/cto.ics?key=")
        cto.shot("commander")

    first_day = calendar_start(gateway)
    start = first_day + timedelta(days=8, hours=12)  # Tuesday of next week, 12:00 Seoul
    with chromium(gateway.url, "oncall-sre-lead") as lead:
        lead.log_in(ADMIN)
        lead.open("/oncall")
        day = start.date().isoformat()
        rotation_cell = lead.text(f'tr[data-day="{day}"] td[data-tier="primary"]')
        lead.choose("#ov-tier", "primary")
        lead.choose("#ov-person", "hyunwoo")
        set_time(lead, "#ov-start", start)
        set_time(lead, "#ov-end", start - timedelta(hours=2))  # before the start
        lead.fill("#ov-reason", "민수 병원 (hospital)")
        lead.press("create-override")
        error = lead.wait_text("#ov-end-error", "must be after the start")
        assert error == f"must be after the start ({start:%Y-%m-%d %H:%M})", error
        assert lead.element("#ov-end").get_attribute("aria-invalid") == "true"
        assert lead.element("#ov-reason").get_attribute("value") == "민수 병원 (hospital)"
        assert lead.element("#ov-person").get_attribute("value") == "hyunwoo"
        assert lead.element("#ov-start").get_attribute("value") == start.strftime("%Y-%m-%dT%H:%M")
        lead.shot("end before start")

        set_time(lead, "#ov-end", start + timedelta(hours=30))
        lead.press("create-override")
        assert lead.wait_text("#notice", "Override created.") == "Override created."
        listed = lead.text("#oncall-overrides")
        assert "Park Hyunwoo (hyunwoo)" in listed and "민수 병원 (hospital)" in listed
        override = lead.element("#oncall-overrides li[data-override]").get_attribute("data-override")
        cell = lead.text(f'tr[data-day="{day}"] td[data-tier="primary"]')
        assert "from 12:00 Park Hyunwoo" in cell and "민수 병원 (hospital)" in cell, cell
        assert lead.elements(f'tr[data-day="{day}"] td[data-tier="primary"] [data-override="{override}"]')
        assert on_call_now(gateway)["primary"]["who"] == holders["primary"]["who"]  # next week's, not now
        lead.shot("override created")

        lead.press(f"remove-{override}")
        lead.wait_text("#notice", "Override removed.")
        assert not lead.elements(f'[data-override="{override}"]')
        assert lead.text(f'tr[data-day="{day}"] td[data-tier="primary"]') == rotation_cell
        lead.shot("override removed")

    with chromium(gateway.url, "oncall-mobile", width=390, height=844, mobile=True) as phone:
        phone.log_in(ADMIN)
        phone.open("/oncall")
        phone.wait_text("#oncall-now", holders["primary"]["name"])
        assert phone.horizontal_overflow() == 0
        phone.shot("phone")
        phone.driver.execute_script("document.querySelector('table.oncall-week').scrollIntoView();")
        phone.shot("phone calendar")


def calendar_start(gateway) -> datetime:
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        return datetime.fromisoformat(http.get("/api/oncall/calendar").json()["start"]).astimezone(SEOUL)

