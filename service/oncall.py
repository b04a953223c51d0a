"""On call, as every client and the bots see it: who holds each tier, the stored overrides, gaps in the plan,
the weekly on-call report, and what the handover lists (docs/oncall.md).

Incident records come from Temporal (visibility, then a finished incident's result or a running one's
`snapshot`) together with the ledger, which keeps finished incidents after Temporal's retention has dropped
them; postmortem drafts and action items come from the ledger.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from temporalio.client import Client

from adapters.stores.overrides import OverrideStore, StoredOverride
from domain.incident.severity import Tier
from domain.incident.state import IncidentState
from domain.oncall.handover import ActionItemDue, Followups, PostmortemDue
from domain.oncall.report import OnCallReport, build_report, week_window
from domain.oncall.rotation import (
    Override,
    Problem,
    Segment,
    check,
    covering_override,
    plan,
    rotation_for,
    segments,
    shift_bounds,
    shift_index,
)
from domain.policy.model import Policy
from service.errors import ServiceError
from service.incident_reader import read_states

log = logging.getLogger(__name__)
LOOKAROUND = timedelta(weeks=12)  # how far `now` looks for the start/end of the current holder's stretch
LEDGER_LOOKBACK = timedelta(days=30)  # an incident may page days after it started
ACTION_ITEMS_AHEAD = timedelta(weeks=1)  # the handover lists action items due within the incoming shift


def on_call_now(policy: Policy, at: datetime, overrides: list[Override]) -> dict:
    """Who holds each tier at `at`, since and until when, and how to reach them (`incident oncall now --json`)."""
    tiers = []
    for tier in Tier:
        around = segments(policy.oncall, tier, at - LOOKAROUND, at + LOOKAROUND, overrides)
        current = next(s for s in around if s.start <= at < s.end)
        person = policy.oncall.people.get(current.who) if current.who else None
        tiers.append({
            "tier": tier.value, "tier_name": policy.oncall.tiers[tier].name, "who": current.who,
            "name": person.name if person else current.who,
            # None: the same holder for as far as we look (a one-person tier)
            "since": current.start if current.start > at - LOOKAROUND else None,
            "until": current.end if current.end < at + LOOKAROUND else None,
            "override": current.override, "slack_id": person.slack_id if person else None,
            "email": person.email if person else None, "phone": person.phone if person else None,
        })
    return {"at": at, "timezone": policy.oncall.rotation.timezone, "tiers": tiers}


def shifts(policy: Policy, start: datetime, weeks: int, overrides: list[Override],
           tiers: list[Tier] | None = None) -> list[Segment]:
    """Who holds what when for `weeks` from `start`, overrides included, ordered by tier then time."""
    return plan(policy.oncall, start, start + timedelta(weeks=weeks), overrides, tiers)


def coverage_problems(policy: Policy, now: datetime, weeks: int, overrides: list[Override]) -> list[Problem]:
    """Gaps (a tier nobody holds) and people on call nobody can reach, for the next `weeks`."""
    return check(policy.oncall, now, now + timedelta(weeks=weeks), overrides)


def stored_overrides(store: OverrideStore) -> list[StoredOverride]:
    """Every stored override (OverrideStoreError when the store cannot be read)."""
    return list(store.load())


def add_override(store: OverrideStore, override: Override, created_by: str | None = None,
                 policy: Policy | None = None, warn: Callable[[str], None] | None = None) -> StoredOverride:
    """Store the override. With the `policy`, its holder must have completed onboarding (docs/oncall.md,
    "Training"): service.training.UntrainedPerson when the policy refuses, else `warn` is told."""
    if policy is not None:
        from service.training import may_go_on_call

        with store.ledger() as ledger:
            _, warning = may_go_on_call(ledger, policy, override.who)
        if warning and warn is not None:
            warn(warning)
    return store.add(override, created_by=created_by)


class OverrideInvalid(ServiceError):
    """A new override or swap the rules refuse; `field` names the input that is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def in_zone(moment: datetime, zone: str) -> datetime:
    """A time without an offset is read in the rotation's zone, as `incident oncall override` does."""
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))


def new_override(policy: Policy, tier: Tier, person: str, start: datetime, end: datetime,
                 reason: str) -> Override:
    """The override `incident oncall override` would store, or OverrideInvalid naming the field it refuses."""
    zone = policy.oncall.rotation.timezone
    person, reason = person.strip(), reason.strip()
    if person not in policy.oncall.people:
        raise OverrideInvalid("person", f"{person!r} is not listed under people in the on-call policy (known: "
                                        f"{', '.join(policy.oncall.people)})")
    if not reason:
        raise OverrideInvalid("reason", "required: say why (vacation, swap, …)")
    start, end = in_zone(start, zone), in_zone(end, zone)
    if end <= start:
        raise OverrideInvalid("end", f"must be after the start ({start.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M})")
    return Override(tier=tier, who=person, start=start, end=end, reason=reason)


def shift_pieces(policy: Policy, tier: Tier, start: datetime, end: datetime,
                 overrides: list[Override]) -> list[Segment]:
    """The tier's plan cut at each of its handovers too, so every piece lies in one shift: the events of a
    calendar, whose start and end stay the same whatever window they are read in."""
    rotation = rotation_for(policy.oncall, tier)
    pieces: list[Segment] = []
    for segment in segments(policy.oncall, tier, start, end, overrides):
        left = segment.start
        while left < segment.end:
            right = min(segment.end, shift_bounds(rotation, shift_index(rotation, left))[1])
            pieces.append(segment.model_copy(update={"start": left, "end": right}))
            left = right
    return pieces


def source_of(tier: Tier, at: datetime, overrides: list[Override]) -> tuple[str, str | None]:
    """("override", its id) when an override decides who holds `tier` at `at`, else ("rotation", None)."""
    cover = covering_override(tier, at, overrides)
    return ("override", getattr(cover, "id", None)) if cover is not None else ("rotation", None)


def holders_now(policy: Policy, at: datetime, overrides: list[Override]) -> dict:
    """`on_call_now` with where each holder comes from: the rotation, or an override (and its id)."""
    view = on_call_now(policy, at, overrides)
    for row in view["tiers"]:
        row["source"], row["override_id"] = source_of(Tier(row["tier"]), at, overrides)
    return view


def _piece_at(policy: Policy, tier: Tier, at: datetime, overrides: list[Override], field: str) -> Segment:
    rotation = rotation_for(policy.oncall, tier)
    start, end = shift_bounds(rotation, shift_index(rotation, at))
    piece = next(p for p in segments(policy.oncall, tier, start, end, overrides) if p.start <= at < p.end)
    if piece.who is None:
        raise OverrideInvalid(field, f"nobody holds {tier.value} then: there is no shift to swap")
    return piece


def swap_shifts(store: OverrideStore, policy: Policy, tier: Tier, first: datetime, second: datetime,
                reason: str = "", created_by: str | None = None,
                warn: Callable[[str], None] | None = None) -> list[StoredOverride]:
    """Two people exchange shifts of a tier: the holders of the shifts containing `first` and `second` (the part
    of it they hold) each take the other's, as two overrides stored together (one transaction)."""
    from service.training import may_go_on_call

    zone = policy.oncall.rotation.timezone
    overrides = stored_overrides(store)
    one = _piece_at(policy, tier, in_zone(first, zone), overrides, "first")
    other = _piece_at(policy, tier, in_zone(second, zone), overrides, "second")
    if one.who == other.who:
        raise OverrideInvalid("second", f"{policy.person_name(one.who)} ({one.who}) holds both: pick a shift "
                                        "someone else holds")
    why = f"swap {one.who} ↔ {other.who}" + (f": {reason.strip()}" if reason.strip() else "")
    swapped = [StoredOverride(tier=tier, who=other.who, start=one.start, end=one.end, reason=why,
                              created_by=created_by),
               StoredOverride(tier=tier, who=one.who, start=other.start, end=other.end, reason=why,
                              created_by=created_by)]
    with store.ledger() as ledger:
        for person in (other.who, one.who):
            _, warning = may_go_on_call(ledger, policy, person)
            if warning and warn is not None:
                warn(warning)
        ledger.add_overrides([o.row() for o in swapped])
    return swapped


def untrained_problems(store: OverrideStore, policy: Policy) -> list[Problem]:
    """Rotation members without onboarding, for `incident oncall check`."""
    from domain.oncall.training import untrained_problems as problems_of
    from service.training import records

    with store.ledger() as ledger:
        return problems_of(policy.oncall, records(ledger))


def remove_override(store: OverrideStore, override_id: str) -> StoredOverride:
    return store.remove(override_id)


async def oncall_report(client: Client, policy: Policy, week: str) -> OnCallReport:
    """Pages per responder, acknowledgement times, off-hours pages, unanswered escalations, tier load of an ISO
    week (WeekError when `week` is not one)."""
    start, end = week_window(week, policy.oncall.rotation.timezone)
    return build_report(policy, await fetch_incident_records(client, start, end), week)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def fetch_incident_records(client: Client, since: datetime, until: datetime | None = None,
                                 slim: bool = True) -> list[IncidentState]:
    """Incidents open now or closed since `since` (and started before `until`). `slim` drops the timeline,
    alerts and checklist, which the bots do not need, to keep activity results small."""
    query = (f"WorkflowType = 'IncidentWorkflow' AND (ExecutionStatus = 'Running' OR CloseTime >= "
             f"'{_rfc3339(since)}')")
    if until is not None:
        query += f" AND StartTime < '{_rfc3339(until)}'"
    states = await read_states(client, query)
    known = {s.id for s in states}
    states += [s for s in await asyncio.to_thread(ledger_records, since, until) if s.id not in known]
    if slim:
        states = [s.model_copy(update={"timeline": [], "alerts": {}, "checklist": [], "fired": []}) for s in states]
    return sorted(states, key=lambda s: s.detected_at)


def ledger_records(since: datetime, until: datetime | None) -> list[IncidentState]:
    """Finished incidents from the ledger: Temporal forgets closed workflows after the namespace's retention
    (docs/oncall.md), the ledger keeps them."""
    try:
        from adapters.stores.ledger import open_ledger

        ledger = open_ledger()
        records = ledger.incidents(since=since - LEDGER_LOOKBACK, until=until)
        snapshots = [ledger.snapshot(r.id) for r in records]
    except Exception:
        log.exception("cannot read the ledger; using Temporal's incident records only")
        return []
    return [s for s in snapshots if s is not None]


def read_followups(at: datetime) -> Followups:
    """Draft postmortems and open action items due by the end of the incoming shift, from the ledger. Without a
    readable ledger the handover falls back to what the incident records say."""
    try:
        from adapters.stores.ledger import open_ledger

        ledger = open_ledger()
        drafts = [p for p in ledger.postmortems() if p.status == "draft"]
        due_by = (at + ACTION_ITEMS_AHEAD).date()
        actions = [a for a in ledger.actions(open_only=True) if a.due <= due_by]
    except Exception:  # the ledger is optional for the handover: say less rather than say nothing
        log.exception("cannot read the ledger; the handover lists postmortems from the incident records")
        return Followups(from_ledger=False)
    return Followups(
        from_ledger=True,
        postmortems=[PostmortemDue(incident_id=p.incident_id, deadline=p.deadline, owner=p.owner) for p in drafts],
        action_items=[ActionItemDue(incident_id=a.incident_id, title=a.title, owner=a.owner, due=a.due)
                      for a in actions],
    )
