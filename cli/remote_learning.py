"""The learning-loop commands in remote mode: postmortems, action items, training, periodic checks, readiness
and the audit log over the gateway's REST API (docs/gateway.md), the answers validated with the models the local
commands print. The gateway records its caller as the one acting (docs/security.md)."""

from typing import Any
from urllib.parse import quote

from cli.remote_client import RemoteClient
from cli.remote_config import Remote


def incident_path(incident: str) -> str:
    from cli.learning_common import incident_key

    return f"/api/incidents/{quote(incident_key(incident), safe='')}"


def _call(remote: Remote, method: str, path: str, model: Any = None, *args: Any, **params: Any) -> Any:
    with RemoteClient(remote) as client:
        return getattr(client, method)(path, *args, model=model, **params)


# ── postmortems ─────────────────────────────────────────────────────────────────────────────────────────
def postmortem_view(remote: Remote, incident: str):
    """(the gateway's JSON, cli.remote_models.PostmortemView)."""
    from cli.remote_client import validated
    from cli.remote_models import PostmortemView

    path = f"{incident_path(incident)}/postmortem"
    answer = _call(remote, "get", path)
    return answer, validated(PostmortemView, answer, f"{remote.url}{path}")


def save_draft(remote: Remote, incident: str, markdown: str, version: int):
    """PUT the edited text from `version`: a stale version is the gateway's 409 (ends the command)."""
    from cli.remote_models import PostmortemView

    body = {"markdown": markdown, "version": version}
    return _call(remote, "put", f"{incident_path(incident)}/postmortem", PostmortemView, body)


def publish(remote: Remote, incident: str, root_cause: str | None, force: bool):
    from domain.incident.records import PostmortemRecord

    body = {"force": force, **({"root_cause": root_cause} if root_cause is not None else {})}
    return _call(remote, "post", f"{incident_path(incident)}/postmortem/publish", PostmortemRecord, body)


# ── action items ────────────────────────────────────────────────────────────────────────────────────────
def add_action(remote: Remote, incident: str, title: str, owner: str, due, term: str):
    from domain.incident.records import ActionItem

    body = {"title": title, "owner": owner, "due": due.isoformat(), "term": term}
    return _call(remote, "post", f"{incident_path(incident)}/action-items", ActionItem, body)


def finish_action(remote: Remote, action_id: int, evidence: str | None = None):
    """`done` (no evidence) or `verify` (with it)."""
    from domain.incident.records import ActionItem

    if evidence is None:
        return _call(remote, "post", f"/api/action-items/{action_id}/done", ActionItem)
    return _call(remote, "post", f"/api/action-items/{action_id}/verify", ActionItem, {"evidence": evidence})


def actions(remote: Remote, incident: str) -> list:
    from domain.incident.records import ActionItem

    return _call(remote, "get", f"{incident_path(incident)}/action-items", list[ActionItem])


# ── training, periodic checks, readiness, audit ─────────────────────────────────────────────────────────
def _moment(text: str | None, option: str):
    """An ISO time with an offset: remotely no policy says which zone a bare time is in."""
    from datetime import datetime

    from cli.common import fail

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r}: not an ISO time; use e.g. 2026-12-01T03:00+09:00", 2)
    if moment.tzinfo is None:
        fail(f"{option} {text!r}: give the offset in remote mode, e.g. {text.strip()}+09:00", 2)
    return moment.isoformat()


def record_training(remote: Remote, fields: dict, at: str | None):
    from domain.oncall.training import TrainingRecord

    body = {k: v for k, v in {**fields, "completed_at": _moment(at, "--at")}.items() if v is not None}
    return _call(remote, "post", "/api/training", TrainingRecord, body)


def training_records(remote: Remote, person: str | None) -> list:
    from domain.oncall.training import TrainingRecord

    return _call(remote, "get", "/api/training", list[TrainingRecord], person=person)


def record_periodic(remote: Remote, fields: dict, at: str | None):
    from domain.learning.periodic import Completion

    body = {k: v for k, v in {**fields, "completed_at": _moment(at, "--at")}.items() if v is not None}
    return _call(remote, "post", "/api/periodic", Completion, body)


def periodic_overview(remote: Remote) -> list:
    from service.periodic import CheckOverview

    return _call(remote, "get", "/api/periodic", list[CheckOverview])


def readiness(remote: Remote):
    from domain.oncall.readiness import ReadinessReport

    return _call(remote, "get", "/api/readiness", ReadinessReport)


def audit(remote: Remote, **filters: Any) -> list:
    from domain.identity.audit import AuditEntry

    return _call(remote, "get", "/api/audit", list[AuditEntry], **filters)
