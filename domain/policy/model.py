"""The team's incident policy as validated data: the two YAML documents (see `policies/`) make one `Policy`.
Pure; reading the files lives in `adapters/policy_files.py`."""

from pydantic import model_validator

from domain.common.models import Strict
from domain.incident.severity import Severity, Tier
from domain.policy.incident_policy import IncidentPolicy, SeverityLevel
from domain.policy.oncall_policy import OnCallPolicy, Person


class Policy(Strict):
    incident: IncidentPolicy
    oncall: OnCallPolicy

    @model_validator(mode="after")
    def _stakeholders_known(self) -> "Policy":
        for severity, level in self.incident.severities.items():
            unknown = [s for s in level.stakeholders if s not in self.oncall.people]
            if unknown:
                raise ValueError(f"{severity.value} stakeholders not listed under people: {', '.join(unknown)}")
        unknown = [p for p in self.incident.communication.public_incident_contacts if p not in self.oncall.people]
        if unknown:
            raise ValueError(f"communication.public_incident_contacts not listed under people: {', '.join(unknown)}")
        return self

    def severity(self, severity: Severity) -> SeverityLevel:
        return self.incident.severities[severity]

    def person_name(self, handle: str | None) -> str | None:
        if handle is None:
            return None
        person = self.oncall.people.get(handle)
        return person.name if person else handle

    def with_roster(self, roster: dict[Tier, list[str]]) -> "Policy":
        """A copy whose tiers have these members (used by drills); unknown people are added by handle."""
        people = dict(self.oncall.people)
        for members in roster.values():
            for member in members:
                people.setdefault(member, Person(name=member))
        tiers = {
            tier: spec.model_copy(update={"members": roster.get(tier, spec.members)})
            for tier, spec in self.oncall.tiers.items()
        }
        oncall = self.oncall.model_copy(update={"tiers": tiers, "people": people})
        return self.model_copy(update={"oncall": oncall})
