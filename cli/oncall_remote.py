"""`incident oncall now|schedule|override|overrides` in remote mode: the gateway's `/api/oncall` answers turned
into what the local commands print (the same JSON shapes for `now` and `schedule`)."""

import sys
from datetime import datetime

from cli.remote_admin import add_override, calendar, on_call_now, overrides
from cli.remote_config import Remote
from domain.common.text import terminal_text


def now_remotely(remote: Remote, at: str | None) -> dict:
    """`service.oncall.on_call_now`'s shape (`incident oncall now --json`)."""
    _, view = on_call_now(remote, at)
    tiers = [{"tier": h.tier.value, "tier_name": h.tier_name, "who": h.who, "name": h.name, "since": h.since,
              "until": h.until, "override": h.override, "slack_id": h.contacts.slack_id, "email": h.contacts.email,
              "phone": h.contacts.phone} for h in view.tiers]
    return {"at": view.at, "timezone": view.timezone, "tiers": tiers}


def schedule_remotely(remote: Remote, weeks: int, start: str | None, tiers: list | None):
    """(start, zone, [domain.oncall.rotation.Segment], {handle: name}) from the gateway's calendar."""
    from domain.oncall.rotation import Segment

    _, found = calendar(remote, weeks, start)
    rows, names = [], {}
    for entry in found.tiers:
        if tiers is not None and entry.tier not in tiers:
            continue
        for s in entry.shifts:
            rows.append(Segment(tier=entry.tier, start=s.start, end=s.end, who=s.who, override=s.override))
            if s.who:
                names[s.who] = s.name or s.who
    return found.start, found.timezone, rows, names


def _zone(remote: Remote) -> str:
    """The rotation's zone, as the gateway's policy says."""
    return on_call_now(remote, None)[1].timezone


def override_remotely(remote: Remote, tier, who: str, start: str, end: str, reason: str) -> None:
    """POST the override (the gateway records its caller as who created it) and print it as local mode does."""
    from cli.common import fail
    from cli.oncall_cmd import _local

    if not reason:
        fail("--reason must not be empty", 2)
    stored = add_override(remote, {"tier": tier.value, "person": who, "start": start.strip(), "end": end.strip(),
                                   "reason": reason})
    if stored.warning:
        print(terminal_text(stored.warning), file=sys.stderr)
    zone = _zone(remote)
    print(terminal_text(f"{stored.id}: {stored.tier.value} is held by {stored.name} ({stored.person}) "
                        f"{_local(stored.start, zone)} → {_local(stored.end, zone)} ({zone}): {stored.reason}"))
    if stored.end < datetime.now(stored.end.tzinfo):
        print("note: this override lies entirely in the past; it changes reports, not pages")


def overrides_remotely(remote: Remote, as_json: bool) -> None:
    """`--json`: the gateway's list as it answers it (`person`, `name`, … per override)."""
    from cli.common import print_json
    from cli.oncall_cmd import _local

    answer, items = overrides(remote)
    if as_json:
        print_json(answer)
        return
    if not items:
        print(f"No overrides ({remote.url}).")
        return
    zone = _zone(remote)
    for o in items:
        print(terminal_text(f"{o.id}  {o.tier.value:<9} {o.name} ({o.person})  "
                            f"{_local(o.start, zone)} → {_local(o.end, zone)}  {o.reason}"))
