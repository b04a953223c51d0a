"""The weekly handover message ("온콜 핸드오버 봇") as a pure function: who hands over to whom, what is still
open, what happened during the outgoing shift, which postmortems and action items are due."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from domain.incident.phases import Phase
from domain.incident.severity import Tier
from domain.incident.state import IncidentState
from domain.oncall.rotation import Override, TierHandover, handover_at, last_handover
from domain.policy.model import Policy

POSTMORTEM_DEADLINE = timedelta(hours=48)  # seed 000: postmortem within 48 hours of resolution
ADDRESSED_TIERS = (Tier.PRIMARY, Tier.SECONDARY)  # the outgoing and incoming of these get the message


class ActionItemDue(BaseModel):
    """An open postmortem action item (from the ledger, once it exists)."""

    incident_id: str
    title: str
    owner: str | None = None
    due: date | None = None


class PostmortemDue(BaseModel):
    """A postmortem still in draft (from the ledger, once it exists)."""

    incident_id: str
    deadline: datetime
    owner: str | None = None


class Followups(BaseModel):
    """What the ledger says is still to do; `from_ledger` False means derive postmortems from incidents."""

    from_ledger: bool = False
    postmortems: list[PostmortemDue] = []
    action_items: list[ActionItemDue] = []


class Handover(BaseModel):
    at: datetime
    tiers: list[TierHandover]
    recipients: list[str]
    text: str


def handover_moment(policy: Policy, now: datetime) -> datetime:
    """The handover this run reports on: the latest team handover at or before `now` (so a run a few
    seconds late, or a manual trigger mid-week, still describes the shift that is running)."""
    return last_handover(policy.oncall.rotation, now)


def build_handover(policy: Policy, at: datetime, incidents: list[IncidentState], overrides: list[Override] = (),
                   followups: Followups | None = None) -> Handover:
    zone = ZoneInfo(policy.oncall.rotation.timezone)
    tiers = handover_at(policy.oncall, at, overrides)
    real = [i for i in incidents if not i.drill]
    week_ago = at - timedelta(weeks=1)
    open_incidents = sorted((i for i in real if i.phase.is_open), key=lambda i: i.detected_at)
    past_week = sorted((i for i in real if week_ago <= i.detected_at < at), key=lambda i: i.detected_at)
    followups = followups or Followups()
    action_items = followups.action_items
    if followups.from_ledger:
        titles = {i.id: f"{i.severity.value.upper()} {i.title}" for i in incidents}
        postmortems = [(p.incident_id, titles.get(p.incident_id, ""), p.deadline, p.owner)
                       for p in sorted(followups.postmortems, key=lambda p: p.deadline)]
    else:  # no ledger: every resolved incident whose severity needs one, 48 h from resolution
        postmortems = [
            (i.id, f"{i.severity.value.upper()} {i.title}", i.resolved_at + POSTMORTEM_DEADLINE, i.roles.ic)
            for i in sorted(real, key=lambda i: i.resolved_at or at)
            if i.resolved_at is not None and i.phase in (Phase.RESOLVED, Phase.POSTMORTEM)
            and policy.severity(i.severity).postmortem_required
        ]

    def name(handle: str | None) -> str:
        return f"{policy.person_name(handle)} ({handle})" if handle else "nobody ⚠"

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%a %m-%d %H:%M")

    lines = [f"🔁 On-call handover {at.astimezone(zone):%Y-%m-%d %H:%M %Z} ({policy.oncall.rotation.timezone})"]
    for entry in tiers:
        label = policy.oncall.tiers[entry.tier].name
        if entry.changes:
            lines.append(f"- {label}: {name(entry.outgoing)} → {name(entry.incoming)}")
        else:
            lines.append(f"- {label}: {name(entry.incoming)} continues")
    lines.append(f"Open incidents ({len(open_incidents)}):")
    lines += [f"- {i.id} {i.severity.value.upper()} {i.service}: {i.title} [{i.phase.value}]" for i in open_incidents]
    if not open_incidents:
        lines.append("- none")
    lines.append(f"Incidents of the past week ({len(past_week)}):")
    lines += [f"- {local(i.detected_at)} {i.id} {i.severity.value.upper()} {i.service}: {i.title} [{i.phase.value}]"
              for i in past_week]
    if not past_week:
        lines.append("- none")
    lines.append(f"Postmortems due ({len(postmortems)}):")
    for incident_id, title, deadline, owner in postmortems:
        overdue = " — OVERDUE" if deadline < at else ""
        lines.append(f"- {incident_id} {title}: due {local(deadline)}" + (f" ({owner})" if owner else "") + overdue)
    if not postmortems:
        lines.append("- none")
    lines.append(f"Action items due ({len(action_items)}):")
    lines += [f"- {a.incident_id}: {a.title} — {a.owner or 'no owner'}" + (f", due {a.due}" if a.due else "")
              for a in action_items]
    if not action_items:
        lines.append("- none")

    recipients: list[str] = []
    for entry in tiers:
        if entry.tier in ADDRESSED_TIERS:
            for who in (entry.outgoing, entry.incoming):
                if who and who not in recipients:
                    recipients.append(who)
    return Handover(at=at, tiers=tiers, recipients=recipients, text="\n".join(lines))
