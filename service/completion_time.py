"""When something people did was completed, as a record of it takes it (training, periodic checks): a moment with
a zone, not in the future; now when not given."""

from datetime import datetime

from service.errors import ServiceError


def completion_time(at: datetime | None, now: datetime) -> datetime:
    completed_at = at or now
    if completed_at.tzinfo is None:
        raise ServiceError("the completion time needs a UTC offset or zone, e.g. 2026-12-01T14:00+09:00")
    if completed_at > now:
        raise ServiceError(f"the completion time {completed_at.isoformat()} lies in the future")
    return completed_at
