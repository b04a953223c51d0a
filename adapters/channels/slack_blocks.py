"""Block Kit for the incident header message: declaration (policy template), live status fields and the
decision buttons; the Approve / Reject buttons of a runbook step waiting for approval. Button `action_id`s are
the contract with gateway/slack_buttons.py; `value` is the incident id (header) or `step_button_value` (a step)."""

import json
from datetime import datetime

from domain.comms.notifications import StepApproval
from domain.comms.view import IncidentView

BUTTONS = {
    "acknowledge": ("Acknowledge", "primary"),
    "ic": ("I'm IC", None),
    "mitigated": ("Mark mitigated", None),
    "resolve": ("Resolve", "danger"),
}
PHASE_EMOJI = {
    "detected": "🔴", "triaged": "🟠", "mitigating": "🟠", "mitigated": "🟡", "resolved": "🟢",
    "postmortem": "🟢", "closed": "⚪",
}


def mrkdwn_escape(text: str) -> str:
    """Slack's three control characters: alert text must not become a <!channel> ping or a disguised link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_date(at: datetime | None) -> str:
    if at is None:
        return "-"
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def header_text(view: IncidentView) -> str:
    """The `text` fallback (notifications, screen readers) and what the transcript shows."""
    roles = ", ".join(f"{role}: {who}" for role, who in view.roles.items()) or "none yet"
    lines = [
        f"{PHASE_EMOJI.get(view.phase.value, '')} [{view.severity.value.upper()}] {view.service}: {view.title}",
        f"Phase: {view.phase.value} | Acknowledged: {view.acknowledged_by or 'not yet'} | Roles: {roles}",
    ]
    if view.next_deadline:
        lines.append(f"Next: {view.next_deadline_what} at {view.next_deadline:%H:%M UTC}")
    return mrkdwn_escape("\n".join(lines))


def header_blocks(view: IncidentView) -> list[dict]:
    roles = "\n".join(f"*{role}*: {who}" for role, who in view.roles.items()) or "_none yet_"
    fields = [
        f"*Phase*\n{PHASE_EMOJI.get(view.phase.value, '')} {view.phase.value}",
        f"*Severity*\n{view.severity.value.upper()} — {view.severity_name}",
        f"*Acknowledged*\n{view.acknowledged_by or 'not yet'}",
        f"*Roles*\n{roles}",
        f"*Paged*\n{', '.join(view.paged) or '-'}",
        f"*Next deadline*\n{view.next_deadline_what or '-'}: {slack_date(view.next_deadline)}"
        if view.next_deadline else "*Next deadline*\n-",
    ]
    if view.public:
        fields.append(f"*Status page*\n{view.public_status}")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"[{view.severity.value.upper()}] {view.title}"[:150],
                                    "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_escape(view.declaration)[:3000]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f[:2000]} for f in fields[:10]]},
    ]
    if view.actions:
        blocks.append({"type": "actions", "block_id": f"incident:{view.incident_id}"[:255], "elements": [
            _button(action, view.incident_id) for action in view.actions
        ]})
    footer = f"incidentflow · incident `{view.incident_id}` · started {slack_date(view.started_at)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return blocks


def _button(action: str, incident_id: str) -> dict:
    label, style = BUTTONS[action]
    button = {"type": "button", "action_id": action, "value": incident_id,
              "text": {"type": "plain_text", "text": label, "emoji": True}}
    if style:
        button["style"] = style
    if action == "resolve":
        button["confirm"] = {
            "title": {"type": "plain_text", "text": "Resolve the incident?"},
            "text": {"type": "mrkdwn", "text": "This stops all escalation."},
            "confirm": {"type": "plain_text", "text": "Resolve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    return button


STEP_BUTTONS = {"approve_step": ("Approve", "primary"), "reject_step": ("Reject", "danger")}


def step_button_value(incident_id: str, approval: StepApproval) -> str:
    """What an Approve / Reject click carries back: which incident, runbook and step (gateway/slack_buttons.py)."""
    return json.dumps({"incident": incident_id, "runbook": approval.runbook, "step": approval.step},
                      separators=(",", ":"))


def approval_blocks(text: str, incident_id: str, approval: StepApproval) -> list[dict]:
    """A thread reply asking for approval of one runbook step, with Approve / Reject buttons naming it."""
    value = step_button_value(incident_id, approval)
    buttons = []
    for action, (label, style) in STEP_BUTTONS.items():
        buttons.append({"type": "button", "action_id": action, "value": value, "style": style,
                        "text": {"type": "plain_text", "text": f"{label} {approval.step}"[:75], "emoji": True}})
    buttons[0]["confirm"] = {
        "title": {"type": "plain_text", "text": "Approve this step?"},
        "text": {"type": "mrkdwn", "text": f"Runbook `{approval.runbook}` will run step `{approval.step}` now."},
        "confirm": {"type": "plain_text", "text": "Approve"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {"type": "actions", "block_id": f"step:{approval.runbook}:{approval.step}"[:255], "elements": buttons},
    ]
