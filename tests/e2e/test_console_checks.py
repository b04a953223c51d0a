"""The incident console's forms, access and layout, in real browsers (Debian's Chromium through Selenium) against the
real gateway, a worker process and a Temporal dev server: bad input in every form is answered next to its field
with nothing typed lost; a viewer sees no control they would be refused and a responder sees why a commander's
control is not theirs; a form without the session's CSRF token changes nothing; without a session the console
sends the browser to the login; at 390 px (a phone) no page scrolls sideways; every field has a label and the
keyboard reaches every control with a visible focus; an alert's incident shows its alerts, and their recovery
arrives live. Screenshots: test-artifacts/console/."""

import httpx
import pytest
from selenium.webdriver.common.keys import Keys

from domain.common.limits import TEXT_MAX
from testkit.browser import chromium, console_stack
from testkit.gateway import TOKEN, alertmanager_group, served

pytestmark = [pytest.mark.own_dev_server, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def gateway(dev_server, tmp_path_factory):
    with console_stack(dev_server, tmp_path_factory.mktemp("console-checks")) as served_gateway:
        yield served_gateway


def declared(gateway, title: str, severity: str = "sev2") -> str:
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        answer = http.post("/api/incidents", json={"service": "matchmaking", "severity": severity, "title": title,
                                                   "by": "seoyeon"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_bad_input_in_every_form_is_named_next_to_its_field_and_nothing_typed_is_lost(gateway):
    incident = declared(gateway, "매칭 지연 (matchmaking slow)")
    with chromium(gateway.url, "forms-minsu") as minsu:
        minsu.log_in("minsu")

        minsu.open("/incidents/new")  # declare: an empty title
        minsu.fill("#d-service", "payments")
        minsu.fill("#d-impact", "결제 일부 실패")
        minsu.element("form[action='/incidents/new'] button[type=submit]").click()
        assert minsu.wait_text("#d-title-error", "required") == "required: it cannot be empty"
        assert minsu.element("#d-title").get_attribute("aria-invalid") == "true"
        assert minsu.element("#d-service").get_attribute("value") == "payments"
        assert minsu.element("#d-impact").get_attribute("value") == "결제 일부 실패"
        minsu.shot("declare empty title")

        # an unknown severity (what a tampered or stale form sends)
        minsu.fill("#d-title", "Checkout errors")
        minsu.driver.execute_script("document.querySelector('#d-severity option').value = 'sev9';"
                                    "document.querySelector('#d-severity').selectedIndex = 0;")
        minsu.element("form[action='/incidents/new'] button[type=submit]").click()
        error = minsu.wait_text("#d-severity-error", "unknown value 'sev9'")
        assert "sev0" in error and "sev3" in error, error
        assert not minsu.elements("#d-title-error")
        assert minsu.element("#d-title").get_attribute("value") == "Checkout errors"
        assert minsu.element("#d-severity").get_attribute("value") == ""  # never silently another severity
        minsu.shot("declare unknown severity")
        minsu.element("form[action='/incidents/new'] button[type=submit]").click()
        assert minsu.wait_text("#d-severity-error", "required").startswith("required: choose 'sev0'")

        minsu.open(f"/incidents/{incident}")  # a note over the limit
        minsu.wait_text("#live-status", "live updates on")
        long_note = "가" * (TEXT_MAX + 1)
        minsu.fill("#note-text", long_note)
        minsu.press("add_note")
        error = minsu.wait_text("#note-text-error", "too long")
        assert f"at most {TEXT_MAX} characters (this has {TEXT_MAX + 1})" in error, error
        assert minsu.element("#note-text").get_attribute("value") == long_note
        assert long_note[:50] not in minsu.text("#incident-timeline")
        minsu.shot("note too long")

        minsu.fill("#assign-to", "nobody-here")  # an unknown person for a role
        minsu.choose("#assign-role", "comms")
        minsu.press("assign")
        error = minsu.wait_text("#assign-to-error", "unknown person 'nobody-here'")
        assert "minsu" in error and "jiyoung" in error, error
        assert minsu.element("#assign-to").get_attribute("value") == "nobody-here"
        assert minsu.element("#assign-role").get_attribute("value") == "comms"
        assert "none assigned" in minsu.text('[data-field="roles"]')
        minsu.shot("assign unknown person")

        minsu.fill("#update-message", "")  # an empty status update
        minsu.press("post_update")
        assert "required" in minsu.wait_text("#update-message-error", "required")
        minsu.shot("empty update")

        minsu.open("/incidents?severity=sev9&q=matchmaking")  # the list's filters: a severity that does not exist
        error = minsu.wait_text("#f-severity-error", "unknown value 'sev9'")
        assert "sev0" in error, error
        assert minsu.element("#f-q").get_attribute("value") == "matchmaking"  # the other filters still apply
        minsu.shot("list unknown severity")


def test_a_viewer_sees_no_controls_and_a_responder_sees_why_a_commanders_control_is_not_theirs(gateway):
    incident = declared(gateway, "Leaderboard stale")
    with chromium(gateway.url, "access-viewer") as viewer, chromium(gateway.url, "access-hyunwoo") as hyunwoo:
        viewer.log_in("customer-support-lead")
        viewer.open(f"/incidents/{incident}")
        viewer.wait_text("#incident-header", "Leaderboard stale")
        assert "You are a viewer" in viewer.text('[data-field="viewer-note"]')
        assert not viewer.elements("form[action$='/decide']")  # nothing that would be refused
        assert not viewer.elements("button[data-action]")
        viewer.shot("viewer")

        hyunwoo.log_in("hyunwoo")
        hyunwoo.open(f"/incidents/{incident}")
        refusal = hyunwoo.wait_text('[data-refusal="set_severity"]', "needs commander")
        assert refusal == "Severity: hyunwoo is a responder: set severity needs commander", refusal
        assert not hyunwoo.elements("#severity-value")
        assert hyunwoo.elements('button[data-action="acknowledge"]')  # a responder's own controls are there
        hyunwoo.shot("responder")

        # hyunwoo takes IC: the IC commands the incident, so severity is theirs now
        hyunwoo.press("take-ic")
        hyunwoo.wait_text("#notice", "hyunwoo is now Incident Commander (IC).")
        hyunwoo.choose("#severity-value", "sev1")
        # meanwhile someone else becomes IC: hyunwoo's open form is refused next to it, nothing changes
        with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            moved = http.post(f"/api/incidents/{incident}/decisions",
                              json={"kind": "assign_role", "role": "ic", "to": "jiyoung", "by": "jiyoung"})
        assert moved.status_code == 200, moved.text
        hyunwoo.press("set_severity")
        refused = hyunwoo.wait_text('[data-error="set_severity"]', "Not allowed")
        assert refused == "Not allowed: hyunwoo is a responder: set severity needs commander", refused
        assert "SEV2" in hyunwoo.text("#incident-header")
        hyunwoo.shot("refused after IC moved")


def test_a_form_without_the_sessions_csrf_token_changes_nothing(gateway):
    incident = declared(gateway, "CSRF check")
    with chromium(gateway.url, "csrf-minsu") as minsu:
        minsu.log_in("minsu")
        cookie = minsu.driver.get_cookie("incidentflow_session")["value"]
    with httpx.Client(base_url=gateway.url, cookies={"incidentflow_session": cookie}, timeout=30) as http:
        for token in (None, "0" * 64):
            form = {"kind": "acknowledge", **({"csrf_token": token} if token else {})}
            answer = http.post(f"/incidents/{incident}/decide", data=form)
            assert answer.status_code == 403 and "no valid CSRF token" in answer.text, answer.text
        declare = http.post("/incidents/new", data={"title": "x", "service": "payments", "severity": "sev3"})
        assert declare.status_code == 403
        page = http.get(f"/incidents/{incident}")
        assert page.status_code == 200 and "not yet" in page.text  # nobody acknowledged
        assert "form-action 'self'" in page.headers["content-security-policy"]
        assert "script-src 'self';" in page.headers["content-security-policy"] and "<script>" not in page.text


def test_without_a_session_the_console_sends_the_browser_to_the_login(gateway, dev_server):
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        for path in ("/", "/incidents", "/incidents/new", "/incidents/anything"):
            answer = http.get(path)
            back = path.replace("/", "%2F")  # where the login sends the person afterwards
            assert (answer.status_code, answer.headers.get("location")) == (303, f"/auth/dev-login?next={back}"), path
        assert http.post("/incidents/anything/decide", data={"kind": "acknowledge"}).status_code == 401
    with served(dev_server, "tq-console-no-login") as bare, httpx.Client(base_url=bare.url, timeout=30) as http:
        answer = http.get("/")
        assert answer.status_code == 401 and "no browser login configured" in answer.text
        assert "INCIDENTFLOW_OIDC_ISSUER_URL" in answer.text and "/auth/dev-login" in answer.text


def test_at_390_px_no_console_page_scrolls_sideways(gateway):
    title = "모바일 확인: 아주 긴 제목이 있는 인시던트 (a very long title that must wrap on a phone)"
    incident = declared(gateway, title, severity="sev1")
    with chromium(gateway.url, "mobile", width=390, height=844, mobile=True) as phone:
        phone.log_in("minsu")
        pages = (("list", "/", "Incidents"), ("incident", f"/incidents/{incident}", "모바일 확인"),
                 ("declare", "/incidents/new", "Declare"))
        for name, path, what in pages:
            phone.open(path)
            phone.wait_text("main", what)
            assert phone.driver.execute_script("return document.documentElement.clientWidth") == 390
            assert phone.horizontal_overflow() <= 0, f"{path} is wider than 390 px"
            phone.shot(f"390px {name}")


def test_every_field_has_a_label_and_the_keyboard_reaches_every_control_with_a_visible_focus(gateway):
    incident = declared(gateway, "Keyboard check")
    with chromium(gateway.url, "keyboard") as minsu:
        minsu.log_in("minsu")
        for path in ("/", f"/incidents/{incident}", "/incidents/new"):
            minsu.open(path)
            unlabelled = minsu.driver.execute_script(
                "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
                ".filter(e => e.labels.length === 0 && !e.closest('label')).map(e => e.outerHTML);")
            assert unlabelled == [], f"{path}: {unlabelled}"
            nameless = minsu.driver.execute_script(
                "return [...document.querySelectorAll('button, a')].filter(e => !e.textContent.trim())"
                ".map(e => e.outerHTML);")
            assert nameless == [], f"{path}: {nameless}"
        # Tab from the top: the skip link first, then the navigation, and focus is drawn
        minsu.open(f"/incidents/{incident}")
        minsu.element("body").send_keys(Keys.TAB)
        focused = minsu.driver.switch_to.active_element
        assert focused.text == "Skip to content"
        outline = minsu.driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle;")
        assert outline not in ("none", ""), outline
        reached = set()
        for _ in range(60):
            minsu.driver.switch_to.active_element.send_keys(Keys.TAB)
            reached.add(minsu.driver.switch_to.active_element.get_attribute("data-action"))
        assert {"acknowledge", "take-ic", "add_note"} <= reached, reached


def test_an_alerts_incident_shows_its_alerts_and_their_recovery_arrives_live(gateway):
    def send(status: str) -> str:
        payload = alertmanager_group("console-alerts", status=status, fingerprints=("pay-1",))
        with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            answer = http.post("/webhooks/alertmanager", json=payload)
        assert answer.status_code in (200, 202), answer.text
        return answer.json()["incident_id"]

    incident = send("firing")
    with chromium(gateway.url, "alerts") as minsu:
        minsu.log_in("minsu")
        minsu.open(f"/incidents/{incident}")
        alert = minsu.wait_text("#incident-alerts", "PaymentErrorRateHigh")
        assert "▲ firing" in alert and "instance=pay-1" in alert and "service=payments" in alert, alert
        link = minsu.element("#incident-alerts a").get_attribute("href")
        assert link.startswith("http://prometheus.example.com:9090/graph"), link
        assert "paged minsu (primary)" in minsu.text("#incident-pages")
        minsu.wait_text("#live-status", "live updates on")
        minsu.mark_page()
        minsu.shot("alert firing")
        assert send("resolved") == incident
        minsu.wait_text("#incident-alerts", "✔ resolved")
        minsu.wait_text('[data-field="phase"]', "MITIGATED")  # every alert recovered: it mitigated itself
        assert not minsu.reloaded()
        minsu.shot("alert resolved")
