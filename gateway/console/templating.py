"""Jinja2 templates of the console (autoescaped), their filters, and the HTML answer every console page gives:
never cached, with the console's Content-Security-Policy."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain.common.durations import format_duration
from gateway.context import gateway_of
from gateway.security_headers import CONSOLE_POLICY

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)


def _zone(request: Request) -> ZoneInfo:
    policy = gateway_of(request).policy()
    return ZoneInfo(policy.incident.timezone if policy else "UTC")


def when(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z") if at else "–"


def clock(at: datetime | None, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M:%S") if at else "–"


def ago(at: datetime | None, now: datetime | None = None) -> str:
    """"12m", "3h5m": how long ago a moment is ("in 4m" for one to come), to the minute past the first one."""
    if at is None:
        return "–"
    seconds = int(((now or datetime.now(UTC)) - at).total_seconds())
    size = abs(seconds) if abs(seconds) < 60 else abs(seconds) // 60 * 60
    text = format_duration(timedelta(seconds=size)) if size else "0s"
    return text if seconds >= 0 else f"in {text}"


def render_text(request: Request, name: str, context: dict) -> str:
    zone = _zone(request)
    template = ENV.get_template(name)
    return template.render(**context, when=lambda at: when(at, zone), clock=lambda at: clock(at, zone), ago=ago)


def render(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    return HTMLResponse(render_text(request, name, context), status_code=status,
                        headers={"Cache-Control": "no-store", "Content-Security-Policy": CONSOLE_POLICY})
