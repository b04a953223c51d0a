"""One set of limits for everything people and senders give an incident: text fields (REST, Slack, CLI, drill
files, alert labels) and alert sizes. They keep an incident's state and history far below Temporal's payload
(2 MB) and history limits whatever a sender does (docs/reliability.md R4); channels apply their own, tighter
limits in their adapters (Statuspage's 255-character name)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from domain.common.models import Strict

TITLE_MAX = 300
SERVICE_MAX = 100
IMPACT_MAX = 1000
TEXT_MAX = 4000  # notes, summaries, status-update messages, reasons
ACTOR_MAX = 80

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SERVICE_MAX)]
Impact = Annotated[str, StringConstraints(strip_whitespace=True, max_length=IMPACT_MAX)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ACTOR_MAX)]



def _clipped(limit: int):
    return AfterValidator(lambda value: clip(value, limit))


# The same fields in stored models (workflow inputs): cut rather than refused, so a history recorded before a
# limit existed still decodes on replay. Entries refuse instead (`Declaration`, the REST and Slack models).
StoredTitle = Annotated[str, _clipped(TITLE_MAX)]
StoredService = Annotated[str, _clipped(SERVICE_MAX)]
StoredImpact = Annotated[str, _clipped(IMPACT_MAX)]
StoredActor = Annotated[str, _clipped(ACTOR_MAX)]


class Declaration(Strict):
    """What a person declares (CLI, Slack; the REST body has the same fields): refused, naming the field, when
    over the limits."""

    title: Title
    service: ServiceName
    impact: Impact | None = None
    by: Actor


# Alerts: what one notification and one incident hold in detail; the rest is counted ("+9,980 more alerts").
ALERTS_PER_NOTIFICATION = 100
ALERTS_PER_INCIDENT = 300
LABELS_PER_ALERT = 48  # labels and annotations each
LABEL_NAME_MAX = 100
LABEL_VALUE_MAX = 1024
ALERT_BYTES_MAX = 2048  # labels + annotations of one alert, names and values together
FINGERPRINT_MAX = 200
URL_MAX = 2000
ALERT_LINES_PER_NOTIFICATION = 10  # timeline lines one notification adds; the rest in one summary line
ALERT_LINES_PER_INCIDENT = 500  # older alert lines give way (the first ones stay)
ALERT_LINES_KEPT_AT_START = 50
PHASE_CHANGES_PER_INCIDENT = 500  # a flapping alert reopens the incident each time: the first 50 and newest stay

# Times a sender may give: nothing before the Unix epoch, and nothing so far ahead that adding the policy's
# deadlines (48 h postmortems, weekly reminders) or a time-zone offset could overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FURTHEST_AHEAD = timedelta(days=366)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sane_time(value: datetime | None, now: datetime, *, future_ok: bool = False) -> datetime | None:
    """A sender's timestamp as the incident may use it: aware (UTC when naive), None when missing or before the
    epoch (Alertmanager's 0001-01-01 means "none"), and never later than `now` (start times) or than a year
    ahead (end times): a clock far off or a hostile `9999-12-31` becomes `now` / the latest allowed time."""
    if value is None:
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if value < EARLIEST:
        return None
    latest = now + FURTHEST_AHEAD if future_ok else now
    return min(value, latest)
