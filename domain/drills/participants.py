"""Who took part in a drill incident and what each of them did, read from its state: decisions and notes in
the timeline, role assignments, the acknowledgement and checklist items (docs/drills.md, "Participants")."""

import re
from collections.abc import Callable
from datetime import datetime

from domain.drills.scenario import Scenario
from domain.drills.scorecard import ScoredChecklistItem, ScoredParticipant
from domain.incident.severity import Role
from domain.incident.state import IncidentState

# incidentflow's own entries, the alert sources' (drills inject alerts as "drill") and runbook runs
AUTOMATED = frozenset({"incidentflow", "drill", "alertmanager", "grafana", "pagerduty", "generic"})
ACTED = ("decision", "note")
# decision_rules.apply writes an assignment as "<to> is now <role>[ (assigned by <by>)]"; a name never holds
# ": ", which keeps free text of other decisions (an update's message, a resolve summary) from matching.
_ASSIGNED = re.compile(r"^(?P<to>(?:(?!: ).)+) is now (?P<role>" + "|".join(r.value for r in Role) +
                       r")(?: \(assigned by .+\))?$")
_ON_BEHALF = " on behalf of "


def person_of(actor: str) -> str:
    """The person a timeline actor names: "api-token on behalf of minsu" is minsu."""
    return actor.rsplit(_ON_BEHALF, 1)[1] if _ON_BEHALF in actor else actor


def scripted_names(scenario: Scenario) -> set[str]:
    """The names the scenario's decisions are played under (`by`, and `to` of role assignments)."""
    names = set()
    for event in scenario.events:
        if event.decision is not None:
            names.add(event.decision.by)
            to = getattr(event.decision, "to", None)
            if to:
                names.add(to)
    return names


def participants(state: IncidentState, checklist: list[ScoredChecklistItem],
                 offset: Callable[[datetime | None], float | None],
                 excluded: set[str] = frozenset()) -> list[ScoredParticipant]:
    """Every person who decided, wrote a note, acknowledged or held a role, in the order they came in.
    `offset` turns a time into scenario seconds since the drill's start; `excluded` names are not people
    (the scenario's names when its decisions were played)."""

    def is_person(name: str | None) -> bool:
        return bool(name) and name not in AUTOMATED and not name.startswith("runbook:") and name not in excluded

    found: dict[str, dict] = {}

    def entry(name: str, at: float) -> dict:
        item = found.setdefault(name, {"person": name, "roles": [], "role_since_seconds": {}, "decisions": 0,
                                       "first_action_at_seconds": None, "since": at})
        item["since"] = min(item["since"], at)
        return item

    for t in state.timeline:
        at = offset(t.at)
        if t.kind in ACTED and is_person(person_of(t.actor)):
            item = entry(person_of(t.actor), at)
            item["decisions"] += 1
            if item["first_action_at_seconds"] is None:
                item["first_action_at_seconds"] = at
        assigned = _ASSIGNED.match(t.text) if t.kind == "decision" else None
        if assigned and is_person(assigned["to"]):
            item = entry(assigned["to"], at)
            role = Role(assigned["role"])
            if role not in item["roles"]:
                item["roles"].append(role)
                item["role_since_seconds"][role] = at
    for role in Role:  # a holder the assignment's wording did not give away (a name holding ": ")
        holder = state.roles.get(role)
        if is_person(holder) and role not in found.get(holder, {}).get("roles", []):
            entry(holder, offset(state.detected_at))["roles"].append(role)
    if is_person(state.acknowledged_by):
        entry(state.acknowledged_by, offset(state.acknowledged_at))
    people = []
    for item in sorted(found.values(), key=lambda i: i["since"]):
        del item["since"]
        name = item["person"]
        done = [c for c in checklist if c.by == name and c.done_at_seconds is not None]
        people.append(ScoredParticipant(
            **item, acknowledged_at_seconds=offset(state.acknowledged_at) if state.acknowledged_by == name else None,
            checklist_done=[c.item for c in done], checklist_late=[c.item for c in done if c.late]))
    return people
