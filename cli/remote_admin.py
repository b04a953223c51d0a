"""Tokens and on call in remote mode: `/api/tokens` (admin tokens only) and `/api/oncall` (who is on call, the
calendar, overrides) over the gateway's REST API, the answers validated (cli/remote_models.py for the gateway's
own shapes)."""

from typing import Any
from urllib.parse import quote

from cli.remote_client import RemoteClient
from cli.remote_config import Remote


def _call(remote: Remote, method: str, path: str, model: Any = None, *args: Any, **params: Any) -> Any:
    with RemoteClient(remote) as client:
        return getattr(client, method)(path, *args, model=model, **params)


def create_token(remote: Remote, fields: dict):
    from service.tokens import IssuedToken

    return _call(remote, "post", "/api/tokens", IssuedToken, {k: v for k, v in fields.items() if v is not None})


def token_list(remote: Remote) -> list:
    from service.tokens import TokenInfo

    return _call(remote, "get", "/api/tokens", list[TokenInfo])


def revoke_token(remote: Remote, token_id: str) -> None:
    _call(remote, "delete", f"/api/tokens/{quote(token_id, safe='')}")


def on_call_now(remote: Remote, at: str | None):
    """(the gateway's JSON, cli.remote_models.OnCallNow); `at` as typed (the gateway reads a bare time in the
    rotation's zone, as local mode does)."""
    from cli.remote_client import validated
    from cli.remote_models import OnCallNow

    answer = _call(remote, "get", "/api/oncall", at=at)
    return answer, validated(OnCallNow, answer, f"{remote.url}/api/oncall")


def calendar(remote: Remote, weeks: int, start: str | None):
    from cli.remote_client import validated
    from cli.remote_models import OnCallCalendar

    answer = _call(remote, "get", "/api/oncall/calendar", weeks=weeks, start=start)
    return answer, validated(OnCallCalendar, answer, f"{remote.url}/api/oncall/calendar")


def overrides(remote: Remote):
    """(the gateway's JSON, [OverrideView]): every stored override, past ones included, as locally."""
    from cli.remote_client import validated
    from cli.remote_models import OverrideView

    answer = _call(remote, "get", "/api/oncall/overrides", include_past="true")
    return answer, validated(list[OverrideView], answer, f"{remote.url}/api/oncall/overrides")


def add_override(remote: Remote, fields: dict):
    from cli.remote_models import OverrideView

    return _call(remote, "post", "/api/oncall/overrides", OverrideView, fields)


def remove_override(remote: Remote, override_id: str):
    from cli.remote_models import OverrideView

    return _call(remote, "delete", f"/api/oncall/overrides/{quote(override_id, safe='')}", OverrideView)


def compensation_report(remote: Remote, month: str | None):
    """(the month, domain.oncall.compensation.CompensationReport); default month: this one in the rotation's zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from domain.oncall.compensation import CompensationReport

    if month is None:
        _, now = on_call_now(remote, None)
        month = datetime.now(UTC).astimezone(ZoneInfo(now.timezone)).strftime("%Y-%m")
    return month, _call(remote, "get", "/api/oncall/compensation", CompensationReport, month=month, format="json")
