"""What the periodic-check bot posts (workflows/periodic.py): the check is due, a reminder before its period
ends, and the notice that it was missed. Each names the owner tier's person on call and the command that
records it. Pure."""

from datetime import timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from domain.learning.periodic import CheckStatus

NoticeKind = Literal["due", "reminder", "missed"]


def _last_day(status: CheckStatus, zone: str) -> str:
    return f"{(status.end - timedelta(days=1)).astimezone(ZoneInfo(zone)):%a %Y-%m-%d}"


def notice_text(kind: NoticeKind, status: CheckStatus, drill_counts: bool, owner_handle: str | None,
                owner_name: str | None, zone: str) -> str:
    owner = (f"{status.owner.value} on-call {owner_name} (@{owner_handle})" if owner_handle
             else f"{status.owner.value} on-call (nobody holds it now)")
    check = f"{status.title} ({status.item})"
    record = f"`incident periodic done {status.item} --period {status.period} --by <you> --notes \"…\"`"
    drill = " A drill recorded with `incident training record PERSON drill` in this period also counts." \
        if drill_counts else ""
    if kind == "due":
        return (f"📋 Periodic check due: {check} for {status.period}, by {_last_day(status, zone)} ({zone}). "
                f"Owner: {owner}. When done: {record}.{drill}")
    if kind == "reminder":
        return (f"⏰ Reminder: {check} for {status.period} is not done yet; the period ends "
                f"{_last_day(status, zone)} ({zone}). Owner: {owner}. Record it: {record}.{drill}")
    missing = " (no drill recorded)" if drill_counts else ""
    return (f"❌ Periodic check missed: {check} was not done in {status.period}{missing}; the period ended "
            f"{_last_day(status, zone)} ({zone}). Owner: {owner}. A late completion can still be recorded: {record}.")
