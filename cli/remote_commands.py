"""The incident commands in remote mode: what cli/incidents.py sends to the gateway's REST API
(`/api/incidents…`, docs/gateway.md) instead of Temporal, and the answers validated. The gateway decides who is
acting (docs/security.md, "Roles and the audit log"): without `--by`, the CLI names the token's own person."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from cli.remote_client import RemoteClient, validated
from cli.remote_config import Remote


def _path(incident: str) -> str:
    return f"/api/incidents/{quote(incident, safe='')}"


def whoami(client: RemoteClient):
    """The principal the token is (domain.identity.principal.Principal)."""
    from domain.identity.principal import Principal

    return client.get("/api/whoami", Principal)


def _actor(client: RemoteClient, by: str | None) -> str:
    return by if by is not None else whoami(client).name


def decide_remotely(remote: Remote, incident: str, by: str | None, decision: Callable):
    """POST the decision `decision(actor)` builds; the incident's answer (DecisionResult)."""
    from domain.incident.decisions import DecisionResult

    with RemoteClient(remote) as client:
        sent = decision(_actor(client, by))
        body = sent.model_dump(mode="json", exclude={"via"}, exclude_none=True)
        return client.post(f"{_path(incident)}/decisions", body, DecisionResult)


def declare_remotely(remote: Remote, service: str, severity, title: str, by: str | None, impact: str | None) -> str:
    """POST /api/incidents; the new incident's id."""
    from cli.remote_models import Declared

    with RemoteClient(remote) as client:
        body = {"service": service, "severity": severity.value, "title": title, "by": _actor(client, by)}
        if impact is not None:
            body["impact"] = impact
        return client.post("/api/incidents", body, Declared).id


@dataclass
class Listed:
    answer: list  # the gateway's JSON, printed as is by --json (the same as local `incident list --json`)
    healthy: list  # cli.remote_models.IncidentSummary
    failing: list  # (state, failing) pairs, as cli/failing_render.py reads them


@dataclass
class FailingEntry:
    state: object
    failing: object  # service.failing.Failing


def _failing(state, failing: dict, where: str) -> FailingEntry:
    from service.failing import Failing  # only for an incident whose workflow keeps failing

    return FailingEntry(state=state, failing=validated(Failing, failing, where))


def list_remotely(remote: Remote, open_only: bool) -> Listed:
    from cli.remote_models import IncidentSummary

    with RemoteClient(remote) as client:
        answer = client.get("/api/incidents", **({"open": "true"} if open_only else {}))
    where = f"{remote.url}/api/incidents"
    if not isinstance(answer, list):
        from cli.common import fail

        fail(f"unexpected answer from {where}: not a list of incidents (a gateway of another version?)")
    entries = [validated(IncidentSummary, item, where) for item in answer]
    failing = [_failing(e, e.failing, where) for e in entries if e.failing is not None]
    return Listed(answer=answer, healthy=[e for e in entries if e.failing is None], failing=failing)


@dataclass
class Shown:
    answer: dict  # the gateway's JSON, printed as is by --json (the same as local `incident show --json`)
    entry: object  # an IncidentState, or a FailingEntry
    compliance: str | None  # the procedure-compliance summary, from the gateway's `compliance`


def show_remotely(remote: Remote, incident: str) -> Shown:
    from cli.learning_common import compliance_text
    from domain.incident.state import IncidentState
    from domain.learning.compliance import Compliance

    with RemoteClient(remote) as client:
        answer = client.get(_path(incident))
    where = f"{remote.url}{_path(incident)}"
    state = validated(IncidentState, answer, where)
    score = answer.get("compliance")
    compliance = compliance_text(validated(Compliance, score, where)) if score is not None else None
    failing = answer.get("failing")
    return Shown(answer=answer, entry=_failing(state, failing, where) if failing is not None else state,
                 compliance=compliance)
