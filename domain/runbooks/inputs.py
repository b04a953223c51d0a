"""Which incidents a runbook applies to, and the values it takes from one. Alert labels are attacker-controlled
input, so a value reaches a step only after it passed its input's pattern *and* a project-wide safe-character
check (docs/runbooks.md, "Safety")."""

import re

from domain.alerts.mapping import labels_match
from domain.incident.state import Alert, IncidentState
from domain.runbooks.schema import Runbook

# Whatever an input's own pattern allows, a value with a shell or template metacharacter, whitespace or a
# path traversal never reaches an executor: defence in depth against a too-lenient pattern.
SAFE_VALUE = re.compile(r"[A-Za-z0-9._:@+=,/-]{0,200}")


class RunbookError(ValueError):
    """A runbook that cannot run for this incident (e.g. an input failed validation)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _firing(state: IncidentState) -> list[Alert]:
    return [state.alerts[k] for k in sorted(state.alerts) if state.alerts[k].status == "firing"]


def matching_alert(runbook: Runbook, state: IncidentState) -> Alert | None:
    return next((a for a in _firing(state) if labels_match(runbook.match.labels, a.labels)), None)


def matches(runbook: Runbook, state: IncidentState) -> bool:
    rule = runbook.match
    if rule.services and state.service not in rule.services:
        return False
    if rule.severities and state.severity not in rule.severities:
        return False
    if rule.labels:
        return matching_alert(runbook, state) is not None
    return bool(rule.services or rule.severities)  # a runbook with no matchers at all only runs by hand


def _short(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"


def resolve_inputs(runbook: Runbook, state: IncidentState) -> dict[str, str]:
    """Every input's value, or RunbookError naming each input that is missing or fails validation."""
    alert = matching_alert(runbook, state) if runbook.match.labels else next(iter(_firing(state)), None)
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in runbook.inputs.items():
        kind, _, key = spec.source.partition(":")
        value: str | None
        if kind == "label":
            value = alert.labels.get(key) if alert else None
        elif kind == "annotation":
            value = alert.annotations.get(key) if alert else None
        elif kind == "service":
            value = state.service
        elif kind == "severity":
            value = state.severity.value
        else:
            value = state.id
        if value is None:
            value = spec.default
        if value is None:
            problems.append(f"input {name}: {spec.source} is missing and has no default")
        elif not SAFE_VALUE.fullmatch(value) or ".." in value:
            problems.append(f"input {name}: {spec.source} value {_short(value)} contains characters that are never "
                            "allowed (whitespace, quotes, shell or template syntax)")
        elif not re.fullmatch(spec.pattern, value):
            problems.append(f"input {name}: {spec.source} value {_short(value)} does not match {spec.pattern}")
        else:
            values[name] = value
    if problems:
        raise RunbookError(problems)
    return values
