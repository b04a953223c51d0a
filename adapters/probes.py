"""Reachability probes for `incident readiness` (docs/oncall.md, "Readiness"): one short request per tool, the
answer turned into a ProbeResult that says what happened. Probes never raise."""

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from domain.oncall.readiness import ProbeResult


def _unreachable(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer within the timeout"
    return f"unreachable ({type(exc).__name__}: {exc})" if str(exc) else f"unreachable ({type(exc).__name__})"


async def slack_auth_test(api_url: str, token: str, timeout: float) -> ProbeResult:
    """Slack's `auth.test`: the bot token is valid and the Web API answers."""
    client = AsyncWebClient(token=token, base_url=api_url, timeout=max(1, round(timeout)))
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        return ProbeResult(tool="slack", configured=True, detail=f"auth.test refused: {exc.response.get('error')}")
    except Exception as exc:  # aiohttp / OS errors: the API is not reachable
        return ProbeResult(tool="slack", configured=True, detail=f"auth.test: {_unreachable(exc)}")
    who = answer.get("user") or answer.get("bot_id") or "the bot"
    team = f" in {answer['team']}" if answer.get("team") else ""
    return ProbeResult(tool="slack", configured=True, reachable=True, detail=f"auth.test ok ({who}{team})")


async def http_get(tool: str, url: str, timeout: float, headers: dict[str, str] | None = None,
                   ok_below: int = 500) -> ProbeResult:
    """An HTTP GET: reachable when it answers below `ok_below` (a 404 or 405 from an events endpoint still says
    the host is there; a 5xx says it is not well)."""
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            response = await client.get(url, headers=headers)
    except Exception as exc:
        return ProbeResult(tool=tool, configured=True, detail=f"GET {url}: {_unreachable(exc)}")
    reachable = response.status_code < ok_below
    return ProbeResult(tool=tool, configured=True, reachable=reachable,
                       detail=f"GET {url}: HTTP {response.status_code}")
