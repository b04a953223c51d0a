"""The policy's alert sections: which severity an alert's labels give (`alert_mapping`) and what alerts do to an
incident once it has mitigated itself (`alerts`; docs/gateway.md, "Alert semantics")."""

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from domain.common.durations import Duration
from domain.common.models import Strict
from domain.incident.severity import Severity


def _check_matchers(value: dict[str, str]) -> dict[str, str]:
    for label, pattern in value.items():
        if pattern.startswith("~"):
            try:
                re.compile(pattern[1:])
            except re.error as exc:
                raise ValueError(f"label {label}: bad regex {pattern[1:]!r}: {exc}") from None
    return value


# label -> value; a value starting with "~" is a regex (full match). Used by the alert mapping and runbooks.
LabelMatchers = Annotated[dict[str, str], AfterValidator(_check_matchers)]


class AlertRule(Strict):
    match: LabelMatchers = Field(description="label -> value; a value starting with '~' is a regex")
    severity: Severity


class AlertMapping(Strict):
    rules: list[AlertRule] = []
    severity_label: str = "severity"
    severity_values: dict[str, Severity] = {}
    default: Severity = Severity.SEV3


class AlertHandling(Strict):
    """What alerts do to an incident once it has mitigated itself (every alert resolved; docs/gateway.md)."""

    pause_while_recovered: Literal["acknowledgement", "all", "none"] = Field(
        default="acknowledgement",
        description="Escalations that wait while every alert is resolved and resume when one fires again: the "
                    "acknowledgement deadline (default), every escalation, or none")
    reopen_on_refire: bool = Field(
        default=True, description="An alert firing again after the incident mitigated itself puts it back where "
                                  "it was and pages again; false: the firing is only noted")
    repage_at_most_every: Duration = Field(
        default=timedelta(minutes=5),
        description="An alert firing again after the incident mitigated itself pages the responder again, at "
                    "most this often (a flapping alert)")


# What incidents started before these alert semantics keep for their whole life (workflows/incident_versions.py)
ALERTS_AS_BEFORE = AlertHandling(pause_while_recovered="none", reopen_on_refire=False)
