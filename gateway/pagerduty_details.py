"""A PagerDuty event's `custom_details` as alert labels and annotations. Short one-line values under label-like
names (`team`, `env`, `alertname`) become labels, so the policy's alert mapping and runbooks can match them; the
rest (Alertmanager's multi-line `firing` text, nested objects) become annotations, JSON for non-strings.
Bounded here; domain/alerts/limits.py bounds every alert again."""

import json
import re
from typing import Any

from domain.common.limits import LABEL_NAME_MAX, LABEL_VALUE_MAX, LABELS_PER_ALERT, clip

LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")  # Prometheus' label names
LABEL_VALUE_MAX_CHARS = 200  # longer (or more than one line) is prose: an annotation


def details_of(custom_details: Any) -> dict[str, Any]:
    """`custom_details` as a dict: PagerDuty allows any JSON there (a string, a list) — kept under `details`."""
    if isinstance(custom_details, dict):
        return custom_details
    return {} if custom_details is None else {"details": custom_details}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def split_details(details: dict[str, Any], taken: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) from `details`; names in `taken` (PagerDuty's own fields) stay annotations, so a
    detail can never override the event's severity or service."""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    entries = [(str(name), value) for name, value in details.items() if value not in (None, "")]
    for name, value in entries[:LABELS_PER_ALERT]:
        text = _text(value).strip()
        if not text:
            continue
        scalar = isinstance(value, str | int | float | bool)
        one_line = len(text) <= LABEL_VALUE_MAX_CHARS and "\n" not in text
        if scalar and one_line and LABEL_NAME.fullmatch(name) and name not in taken:
            labels[name] = text
        else:
            annotations[clip(name, LABEL_NAME_MAX)] = clip(text, LABEL_VALUE_MAX)
    if len(entries) > LABELS_PER_ALERT:
        annotations["custom_details_left_out"] = f"+{len(entries) - LABELS_PER_ALERT} more entries not kept"
    return labels, annotations
