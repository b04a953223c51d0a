"""The errors the service layer raises for a person's mistake or a missing thing: clients turn them into one
line (the CLI, exit `code`) or an HTTP answer (the gateway) (docs/architecture.md, "Layers")."""


class ServiceError(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class IncidentNotFound(ServiceError):
    """No workflow for this incident id."""


class IncidentClosed(ServiceError):
    """The incident's workflow has finished: it takes no more decisions."""

    def __init__(self, incident: str, status: str):
        super().__init__(f"incident {incident} is closed ({status})")
        self.status = status


class IncidentNotRunning(ServiceError):
    """Temporal found no running workflow to deliver a decision to."""


class DecisionRefused(ServiceError):
    """The incident's validator refused the decision; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(f"rejected: {reason}")
        self.reason = reason


class DecisionPending(ServiceError):
    """The decision was sent but the incident's worker did not answer in time: it may still apply."""


class Forbidden(ServiceError):
    """The principal's role does not allow the action (domain/identity/principal.py `refusal`); `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
