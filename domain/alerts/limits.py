"""Alerts cut to the sizes in `domain.common.limits`: what a notification and an incident hold in detail. Used at the
door (the gateway, drills) and again when an incident folds a snapshot in, so no sender can grow an incident's
state or history past Temporal's limits (docs/reliability.md R4)."""

from domain.common.limits import (
    ALERT_BYTES_MAX,
    ALERTS_PER_NOTIFICATION,
    FINGERPRINT_MAX,
    LABEL_NAME_MAX,
    LABEL_VALUE_MAX,
    LABELS_PER_ALERT,
    URL_MAX,
    clip,
)
from domain.incident.state import Alert

# Labels the alert mapping and the incident's title read first keep their place when an alert is cut.
FIRST_LABELS = ("alertname", "service", "severity", "app", "job", "instance", "component", "group")
FIRST_ANNOTATIONS = ("summary", "description", "impact", "runbook_url")
LABEL_SHARE = ALERT_BYTES_MAX * 5 // 8  # labels' part of an alert's budget; annotations get the rest


def _ordered(pairs: dict[str, str], first: tuple[str, ...]) -> list[tuple[str, str]]:
    head = [(name, pairs[name]) for name in first if name in pairs]
    return head + [(name, value) for name, value in pairs.items() if name not in first]


def _bounded(pairs: dict[str, str], first: tuple[str, ...], budget: int) -> tuple[dict[str, str], int, bool]:
    """Up to LABELS_PER_ALERT pairs within `budget` characters; returns them, the budget used, and whether any
    pair was cut or left out."""
    kept: dict[str, str] = {}
    used, cut = 0, False
    for name, value in _ordered(pairs, first):
        if len(kept) == LABELS_PER_ALERT:
            return kept, used, True
        name = clip(str(name), LABEL_NAME_MAX)
        room = budget - used - len(name)
        limit = min(LABEL_VALUE_MAX, room)
        if limit < min(len(value), 16):  # no room left worth using
            cut = True
            continue
        if len(value) > limit:
            value, cut = clip(value, limit), True
        kept[name] = value
        used += len(name) + len(value)
    return kept, used, cut


def bounded_alert(alert: Alert) -> Alert:
    """The alert with at most ALERT_BYTES_MAX characters of labels and annotations (marked `clipped`)."""
    size = sum(len(k) + len(v) for k, v in (*alert.labels.items(), *alert.annotations.items()))
    url = alert.generator_url
    if (size <= ALERT_BYTES_MAX and len(alert.labels) <= LABELS_PER_ALERT
            and len(alert.annotations) <= LABELS_PER_ALERT and len(alert.fingerprint) <= FINGERPRINT_MAX
            and (url is None or len(url) <= URL_MAX)):
        return alert
    labels, used, labels_cut = _bounded(alert.labels, FIRST_LABELS, LABEL_SHARE)
    annotations, _, annotations_cut = _bounded(alert.annotations, FIRST_ANNOTATIONS, ALERT_BYTES_MAX - used)
    return alert.model_copy(update={
        "fingerprint": alert.fingerprint[:FINGERPRINT_MAX], "labels": labels, "annotations": annotations,
        "generator_url": url if url is None or len(url) <= URL_MAX else None,
        "clipped": alert.clipped or labels_cut or annotations_cut,
    })


def bounded_alerts(alerts: list[Alert], hidden: int = 0) -> tuple[list[Alert], int]:
    """At most ALERTS_PER_NOTIFICATION alerts, firing ones first, each bounded; and how many alerts of the group
    are not shown in detail and may still fire (`hidden` ones the sender left out, plus firing ones cut here).
    Resolved alerts cut here are simply not shown: they cannot fire."""
    if len(alerts) <= ALERTS_PER_NOTIFICATION:
        return [bounded_alert(a) for a in alerts], hidden
    firing = [a for a in alerts if a.status == "firing"]
    resolved = [a for a in alerts if a.status != "firing"]
    kept = (firing + resolved)[:ALERTS_PER_NOTIFICATION]
    return [bounded_alert(a) for a in kept], hidden + max(0, len(firing) - ALERTS_PER_NOTIFICATION)
