"""Alert labels -> severity, as the policy's alert mapping says. The highest alert severity wins."""

import re
from collections.abc import Iterable

from domain.alerts.policy import AlertMapping
from domain.incident.severity import Severity, worst


def labels_match(matchers: dict[str, str], labels: dict[str, str]) -> bool:
    """Every matcher holds: equal value, or for a value starting with '~' a full regex match."""
    for label, expected in matchers.items():
        value = labels.get(label)
        if value is None:
            return False
        if expected.startswith("~"):
            if not re.fullmatch(expected[1:], value):
                return False
        elif value != expected:
            return False
    return True


def severity_for_labels(mapping: AlertMapping, labels: dict[str, str]) -> Severity:
    """First matching rule; else the severity label's value; else the default."""
    for rule in mapping.rules:
        if labels_match(rule.match, labels):
            return rule.severity
    value = labels.get(mapping.severity_label)
    if value is not None:
        if value.lower() in mapping.severity_values:
            return mapping.severity_values[value.lower()]
        try:
            return Severity.parse(value)
        except ValueError:
            pass
    return mapping.default


def severity_for_alerts(mapping: AlertMapping, label_sets: Iterable[dict[str, str]]) -> Severity:
    return worst([severity_for_labels(mapping, labels) for labels in label_sets]) or mapping.default
