"""A Sev1 worked from the incident console alone, in real browsers (Debian's Chromium through Selenium) against the
real gateway, a worker process and a Temporal dev server: minsu declares, acknowledges, takes IC, adds a note,
ticks a checklist item, approves a waiting runbook step, posts an update from the composer, mitigates and
resolves — and jiyoung, with the incident page open, and a third browser on the incident list see each change
arrive without reloading. Then sre-lead, a commander, rejects a runbook step, escalates, lowers the severity,
resolves and closes. Screenshots of every step: test-artifacts/console/."""

import httpx
import pytest

from testkit.browser import chromium, console_stack
from testkit.gateway import TOKEN

pytestmark = [pytest.mark.own_dev_server, pytest.mark.timeout(600)]

TITLE = "결제 오류 — checkout failing"


@pytest.fixture(scope="module")
def gateway(dev_server, tmp_path_factory):
    with console_stack(dev_server, tmp_path_factory.mktemp("console-sev1")) as served:
        yield served


def test_a_sev1_is_worked_from_the_console_and_a_second_browser_follows_it_live(gateway):
    with chromium(gateway.url, "sev1-minsu") as minsu, chromium(gateway.url, "sev1-jiyoung") as jiyoung, \
            chromium(gateway.url, "sev1-list") as board:
        minsu.log_in("minsu")
        jiyoung.log_in("jiyoung")
        board.log_in("hyunwoo")
        board.open("/")
        board.wait_text("#live-status", "live updates on")  # the list's event stream is open
        board.mark_page()

        # declare
        minsu.open("/incidents/new")
        minsu.fill("#d-title", TITLE)
        minsu.fill("#d-service", "payments")
        minsu.choose("#d-severity", "sev1")
        minsu.fill("#d-impact", "결제 실패 (payments failing for every player)")
        minsu.shot("declare form")
        minsu.element("form[action='/incidents/new'] button[type=submit]").click()
        minsu.wait(lambda d: "/incidents/" in d.current_url and "declared=1" in d.current_url, "the new incident")
        incident = minsu.path.split("/incidents/")[1].split("?")[0]
        assert minsu.text("#notice") == f"Declared {incident}."
        header = minsu.text("#incident-header")
        assert TITLE in header and "SEV1" in header and "핵심 기능 장애 (High)" in header, header
        assert "결제 실패 (payments failing for every player)" in header
        assert "declared by minsu (console)" in header
        minsu.shot("declared")

        row = f'tr[data-incident="{incident}"]'
        board.wait_text(row, TITLE)  # arrived in the list by itself
        assert "not acknowledged" in board.text(row) and "unassigned" in board.text(row)
        jiyoung.open(f"/incidents/{incident}")
        jiyoung.wait_text("#live-status", "live updates on")
        jiyoung.mark_page()

        # acknowledge
        minsu.press("acknowledge")
        minsu.wait_text("#notice", "Done: acknowledge.")
        assert "by minsu" in minsu.text('[data-field="acknowledged"]')
        assert not minsu.elements('button[data-action="acknowledge"]')  # done: the control is gone
        minsu.shot("acknowledged")
        jiyoung.wait_text('[data-field="acknowledged"]', "by minsu")
        jiyoung.wait_text("#incident-timeline", "minsu acknowledged")
        board.wait_text(row, "acknowledged by minsu")

        # take IC: the role's duties are shown
        minsu.press("take-ic")
        notice = minsu.wait_text("#notice", "minsu is now Incident Commander (IC).")
        assert "Duties of the role:" in notice and len(minsu.elements("#notice .duties li")) >= 2, notice
        assert "Incident Commander (IC): minsu" in minsu.text('[data-field="roles"]')
        minsu.shot("took IC")
        jiyoung.wait_text('[data-field="roles"]', "Incident Commander (IC): minsu")
        board.wait(lambda _d: board.text(f'{row} td[data-label="IC"]') == "minsu", "IC minsu in the list")

        # a note
        minsu.fill("#note-text", "롤백 준비 중 (preparing the rollback)")
        minsu.press("add_note")
        minsu.wait_text("#incident-timeline", "롤백 준비 중 (preparing the rollback)")
        minsu.shot("note added")
        jiyoung.wait_text("#incident-timeline", "롤백 준비 중 (preparing the rollback)")

        # a checklist item
        item = 'li[data-item="impact-scoped"]'
        assert "open" in minsu.text(item)
        minsu.press("check-impact-scoped")
        minsu.wait_text(item, "done by minsu")
        minsu.shot("checklist item done")
        jiyoung.wait_text(item, "done by minsu")

        # the runbook's approval step
        step = 'li[data-step="confirm-rollback"]'
        minsu.open(f"/incidents/{incident}")
        minsu.wait_text(step, "waiting for approval")
        assert "Approve / Reject" not in minsu.text("#incident-runbooks")  # the IC commands: no refusal
        minsu.shot("runbook step waiting")
        minsu.press("approve-confirm-rollback")
        minsu.wait_text(step, "by minsu")  # approved, then done once the step ran
        minsu.wait_text('article[data-runbook="payments-rollback-check"]', "succeeded", timeout=60)
        assert "done by minsu" in minsu.text(step)
        minsu.shot("runbook step approved")
        jiyoung.wait_text(step, "done by minsu")

        # a status update from the composer, which starts from the policy's internal update template
        composer = minsu.element("#update-message").get_attribute("value")
        assert composer.startswith(f"Sev1 Incident: {TITLE}") and "Owner: @minsu" in composer, composer
        assert "Next update: in 15m" in composer
        minsu.choose("#update-status", "identified")
        minsu.fill("#update-message", "원인 확인: 잘못된 배포 (cause found: a bad deploy); rolling back")
        minsu.press("post_update")
        minsu.wait_text("#incident-timeline", "원인 확인: 잘못된 배포")
        minsu.shot("update posted")
        jiyoung.wait_text("#incident-timeline", "원인 확인: 잘못된 배포")

        # mitigated, then resolved: a Sev1 goes on to its postmortem
        minsu.press("mark_mitigated")
        minsu.wait_text('[data-field="phase"]', "MITIGATED")
        jiyoung.wait_text('[data-field="phase"]', "MITIGATED")
        board.wait_text(f'{row} td[data-label="Phase"]', "MITIGATED")
        minsu.fill("#resolve-summary", "rolled back the bad deploy")
        minsu.press("resolve")
        minsu.wait_text('[data-field="phase"]', "POSTMORTEM")
        assert "rolled back the bad deploy" in minsu.text("#incident-header")
        minsu.shot("resolved")
        jiyoung.wait_text('[data-field="phase"]', "POSTMORTEM")
        jiyoung.wait_text("#incident-timeline", "minsu resolved the incident")
        board.wait(lambda _d: not board.elements(row), "the resolved incident to leave the open list")
        jiyoung.shot("followed live")
        board.shot("list followed live")

        assert not jiyoung.reloaded() and not board.reloaded()  # every change came over the event stream
        timeline = minsu.text("#incident-timeline")
        for text in ("minsu acknowledged", "롤백 준비 중", "minsu resolved the incident"):
            assert text in timeline, timeline


def test_a_commander_rejects_a_step_escalates_lowers_the_severity_and_closes_from_the_console(gateway):
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        answer = http.post("/api/incidents", json={"service": "payments", "severity": "sev1", "by": "minsu",
                                                   "title": "Refunds failing"})
    assert answer.status_code == 201, answer.text
    incident = answer.json()["id"]
    with chromium(gateway.url, "commander") as lead:
        lead.log_in("sre-lead")
        lead.open(f"/incidents/{incident}")
        step = 'li[data-step="confirm-rollback"]'
        lead.wait_text(step, "waiting for approval")
        lead.press("reject-confirm-rollback")  # no reason: refused next to the reason field
        assert "required" in lead.wait_text("#reject-confirm-rollback-error", "required")
        lead.fill("#reject-confirm-rollback-reason", "롤백 대신 핫픽스 (hotfix instead)")
        lead.press("reject-confirm-rollback")
        lead.wait_text(step, "rejected by sre-lead")
        lead.wait_text('article[data-runbook="payments-rollback-check"]', "aborted")
        lead.shot("step rejected")

        lead.fill("#escalate-reason", "need the payments team lead")
        lead.press("escalate_now")
        lead.wait_text("#notice", "Done: escalate now.")
        lead.wait_text("#incident-pages", "(secondary)")
        lead.press("start_mitigation")
        lead.wait_text('[data-field="phase"]', "MITIGATING")
        lead.choose("#severity-value", "sev3")
        lead.press("set_severity")
        lead.wait_text("#incident-header", "SEV3")
        lead.press("resolve")
        lead.wait_text('[data-field="phase"]', "RESOLVED")  # a Sev3 needs no postmortem: it may be closed
        lead.press("close")
        lead.wait_text('[data-field="phase"]', "CLOSED")
        assert "nothing left to decide" in lead.text("#incident-actions")
        assert not lead.elements("form[action$='/decide']")
        timeline = lead.text("#incident-timeline")
        assert "롤백 대신 핫픽스 (hotfix instead)" in timeline and "sre-lead closed the incident" in timeline, timeline
        lead.shot("closed")
