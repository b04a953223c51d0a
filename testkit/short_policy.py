"""A copy of the shipped policy with every duration divided, for tests on the real dev server."""

from pathlib import Path

import yaml

from adapters.policy_files import INCIDENT_FILE, ONCALL_FILE
from domain.common.durations import format_duration, parse_duration

SHIPPED = Path(__file__).resolve().parent.parent / "policies"


def _scaled(text: str, divisor: int) -> str:
    return format_duration(parse_duration(text) / divisor)


def write_short_policy(target: Path, divisor: int = 30) -> Path:
    """5m → 10s, 15m → 30s, 1h → 2m with the default divisor."""
    target.mkdir(parents=True, exist_ok=True)
    incident = yaml.safe_load((SHIPPED / INCIDENT_FILE).read_text(encoding="utf-8"))
    for level in incident["severities"].values():
        level["response_time"] = _scaled(level["response_time"], divisor)
    incident["communication"]["internal_update_every"] = _scaled(incident["communication"]["internal_update_every"],
                                                                 divisor)
    incident["checklist"]["nag_at"] = _scaled(incident["checklist"]["nag_at"], divisor)
    oncall = yaml.safe_load((SHIPPED / ONCALL_FILE).read_text(encoding="utf-8"))
    for rule in oncall["escalation"]["rules"]:
        rule["after"] = _scaled(rule["after"], divisor)
    (target / INCIDENT_FILE).write_text(yaml.safe_dump(incident, allow_unicode=True), encoding="utf-8")
    (target / ONCALL_FILE).write_text(yaml.safe_dump(oncall, allow_unicode=True), encoding="utf-8")
    for extra in SHIPPED.iterdir():  # templates and other files the policy directory may hold
        if extra.is_file() and extra.name not in (INCIDENT_FILE, ONCALL_FILE):
            (target / extra.name).write_bytes(extra.read_bytes())
    return target
