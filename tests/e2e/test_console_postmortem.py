"""The postmortem worked from the console, in a real browser (docs/console.md, "Postmortems"): a Sev1 is resolved
(through the API), and its IC opens the postmortem from the incident page, previews the draft (the text stays in
the editor), saves it, tries to publish with template text left (the sections are named, "Publish anyway" is
offered), fills them in, publishes — the incident is closed — and adds an action item with an owner and a due
date (a bad date first: named next to the field), then marks it done. A second save from a stale copy is refused
with the text kept. At 390 px nothing is wider than the screen. Screenshots: test-artifacts/console/postmortem-*.png."""

import time

import httpx
import pytest

from testkit.browser import chromium, console_stack
from testkit.gateway import TOKEN

pytestmark = [pytest.mark.own_dev_server, pytest.mark.timeout(600)]

FILL_FIRST = {"## Root cause\n": "## Root cause\n설정 배포가 헬스체크 포트를 지웠다 (a config push removed the port).\n"
                                  "<script>alert('x')</script>\n"}
FILL_REST = {
    "## What went well\n": "## What went well\nFast rollback.\n",
    "## What went poorly\n": "## What went poorly\nThe canary did not cover the port.\n",
    "1. Why?\n": "1. Why? The push skipped the canary.\n",
}


@pytest.fixture(scope="module")
def gateway(dev_server, tmp_path_factory):
    with console_stack(dev_server, tmp_path_factory.mktemp("console-postmortem"), shared_ledger=True) as served:
        yield served


def resolved_sev1(url: str) -> str:
    """A Sev1 declared, acknowledged, with minsu as IC, resolved; once its draft is written."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        declared = http.post("/api/incidents", json={"service": "payments", "severity": "sev1", "by": "minsu",
                                                     "title": "결제 오류 — postmortem"})
        assert declared.status_code == 201, declared.text
        incident = declared.json()["id"]
        deadline = time.monotonic() + 30
        for decision in ({"kind": "acknowledge", "by": "minsu"}, {"kind": "assign_role", "role": "ic", "to": "minsu",
                                                                  "by": "minsu"},
                         {"kind": "resolve", "by": "minsu", "summary": "rolled back the config push"}):
            while (answer := http.post(f"/api/incidents/{incident}/decisions", json=decision)).status_code == 409 \
                    and time.monotonic() < deadline:  # still starting
                time.sleep(0.3)
            assert answer.status_code == 200, answer.text
        while http.get(f"/api/incidents/{incident}/postmortem").status_code != 200:
            assert time.monotonic() < deadline, "no postmortem draft within 30 s"
            time.sleep(0.3)
    return incident


def replaced(text: str, changes: dict[str, str]) -> str:
    for old, new in changes.items():
        assert old in text, (old, text)
        text = text.replace(old, new)
    return text


def test_the_ic_writes_publishes_the_postmortem_and_adds_an_action_item(gateway):
    incident = resolved_sev1(gateway.url)
    with chromium(gateway.url, "postmortem-minsu") as minsu, chromium(gateway.url, "postmortem-jiyoung") as jiyoung:
        minsu.log_in("minsu")
        minsu.open(f"/incidents/{incident}")
        minsu.wait(lambda _d: minsu.elements("#postmortem-link"), "the postmortem link")
        minsu.element("#postmortem-link").click()
        minsu.wait_text("#pm-status", "draft · version 1")
        jiyoung.log_in("jiyoung")
        jiyoung.open(f"/incidents/{incident}/postmortem")  # opened at version 1, saved from below after minsu
        jiyoung.wait_text("#pm-status", "version 1")

        draft = minsu.element("#pm-markdown").get_attribute("value")
        assert "rolled back the config push" in draft and "## Root cause" in draft
        first = replaced(draft, FILL_FIRST)
        minsu.fill("#pm-markdown", first)
        minsu.press("preview")
        preview = minsu.wait_text("#pm-preview", "설정 배포가 헬스체크 포트를 지웠다")
        assert "<script>alert('x')</script>" in preview  # shown as text, never run
        assert minsu.text("#pm-preview .markdown h2") and minsu.element("#pm-markdown").get_attribute("value") == first
        minsu.shot("previewed")
        minsu.press("save")
        minsu.wait_text("#notice", "Draft saved.")
        assert "version 2 · saved by minsu" in minsu.text("#pm-status")

        jiyoung.fill("#pm-markdown", "# jiyoung's older copy\n" + "x" * 300)
        jiyoung.press("save")
        error = jiyoung.wait_text("#pm-markdown-error", "Not saved")
        assert "was saved by minsu since you opened it (version 2, yours started from 1)" in error
        assert jiyoung.element("#pm-markdown").get_attribute("value").startswith("# jiyoung's older copy")
        jiyoung.shot("stale save refused")

        minsu.press("publish")
        confirm = minsu.wait_text("#publish-confirm", "What went well")
        assert "What went well, What went poorly, 5 Whys" in confirm and "Root cause" not in confirm
        assert minsu.elements('button[data-action="publish-anyway"]')
        minsu.shot("publish refused with template text")

        minsu.fill("#pm-markdown", replaced(minsu.element("#pm-markdown").get_attribute("value"), FILL_REST))
        minsu.press("save")
        minsu.wait_text("#pm-status", "version 3")
        minsu.fill("#pm-root-cause", "deploy")
        minsu.press("publish")
        minsu.wait_text("#notice", "Published: the incident is closed.")
        assert "Fast rollback." in minsu.text("#pm-published")
        assert not minsu.elements("#pm-markdown")
        minsu.shot("published")

        minsu.fill("#ai-title", "포트 검사 카나리 추가 (canary for the health-check port)")
        minsu.choose("#ai-owner", "jiyoung")
        minsu.fill("#ai-due", "31/12/2026")
        minsu.press("add-item")
        assert "is not a date: use YYYY-MM-DD" in minsu.wait_text("#ai-due-error", "not a date")
        assert minsu.element("#ai-due").get_attribute("aria-invalid") == "true"
        assert minsu.element("#ai-title").get_attribute("value").startswith("포트 검사 카나리")  # kept
        minsu.shot("bad due date")
        minsu.fill("#ai-due", "2026-12-31")
        minsu.press("add-item")
        minsu.wait_text("#notice", "Action item added.")
        item = minsu.element("#action-items li[data-item]")
        number = item.get_attribute("data-item")
        assert "owner jiyoung · due 2026-12-31" in item.text and "○ open" in item.text
        minsu.press(f"done-{number}")
        minsu.wait_text(f'li[data-item="{number}"]', "✔ done by minsu")
        minsu.shot("action item done")

        minsu.open(f"/incidents/{incident}")
        minsu.wait_text('[data-field="phase"]', "CLOSED")
        assert "minsu published the postmortem; incident closed" in minsu.text("#incident-timeline")
        minsu.shot("incident closed")

    with chromium(gateway.url, "postmortem-mobile", width=390, height=844, mobile=True) as phone:
        phone.log_in("minsu")
        phone.open(f"/incidents/{incident}/postmortem")
        phone.wait_text("#pm-published", "Fast rollback.")
        assert phone.horizontal_overflow() == 0  # the rendered tables scroll inside their card
        phone.shot("published at 390 px")
