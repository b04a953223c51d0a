"""The runbooks an incident keeps for its life: what a runbook directory held when the incident began."""

from pydantic import BaseModel

from domain.runbooks.schema import Allowlist, Runbook


class RunbookSet(BaseModel):
    directory: str
    runbooks: list[Runbook] = []
    allowlist: Allowlist = Allowlist()
    files: dict[str, str] = {}
    problems: list[str] = []

    def get(self, name: str) -> Runbook | None:
        return next((r for r in self.runbooks if r.name == name), None)
