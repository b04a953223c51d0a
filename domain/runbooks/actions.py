"""What a runbook step or check may do: the kinds, and each kind's `with` block as validated data
(docs/runbooks.md, "Step kinds")."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError

from domain.common.durations import Duration
from domain.common.models import Strict
from domain.common.validation_errors import describe_errors

ActionKind = Literal[
    "http", "command", "prometheus_query", "wait", "notify", "approval",
    "feature_flag", "rollback", "rate_limit", "write_block", "scale", "restart",
]
PRESETS: frozenset[str] = frozenset({"feature_flag", "rollback", "rate_limit", "write_block", "scale", "restart"})
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
DEFAULT_ADMIN_ENDPOINT = "admin_api"
DEFAULT_PROMETHEUS_ENDPOINT = "prometheus"


class HttpWith(Strict):
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    endpoint: str | None = Field(
        default=DEFAULT_ADMIN_ENDPOINT,
        description="Named base URL configured on the worker (INCIDENTFLOW_RUNBOOK_ENDPOINTS); null: `url` is absolute",
    )
    url: str = Field(description="Path under the endpoint (or absolute URL); {{ input }} templates only")
    headers: dict[str, str] = Field(default={}, description="Values may use {{ secret.ENV_NAME }}: read on the worker")
    json_body: Any = Field(default=None, alias="json")
    expect_status: list[int] = Field(default=[], description="Accepted statuses; empty: any 2xx")
    expect_json: dict[str, Any] = Field(default={}, description="Top-level (dotted) fields the response must equal")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain a NUL byte (no program can be given one)")
    return value


ProgramText = Annotated[str, AfterValidator(_no_nul)]


class CommandWith(Strict):
    argv: list[ProgramText] = Field(
        min_length=1, description="argv[0] must be in the directory's allowlist.yaml; no shell")


Comparison = Literal["<", "<=", ">", ">=", "==", "!="]


class PrometheusWith(Strict):
    endpoint: str = DEFAULT_PROMETHEUS_ENDPOINT
    query: str = Field(description="PromQL instant query; {{ input }} templates only")
    op: Comparison
    threshold: float
    on_empty: Literal["fail", "pass"] = "fail"


class WaitWith(Strict):
    duration: Duration


class NotifyWith(Strict):
    text: str


class ApprovalWith(Strict):
    prompt: str = "Proceed?"


class FeatureFlagWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    flag: str
    enabled: bool = False


class RollbackWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str
    to_version: str | None = None


class RateLimitWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str
    requests_per_second: int = Field(gt=0)


class WriteBlockWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    database: str
    enabled: bool = True


class ScaleWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str
    replicas: int = Field(ge=0)


class RestartWith(Strict):
    endpoint: str = DEFAULT_ADMIN_ENDPOINT
    service: str


WITH_MODELS: dict[str, type[Strict]] = {
    "http": HttpWith, "command": CommandWith, "prometheus_query": PrometheusWith, "wait": WaitWith,
    "notify": NotifyWith, "approval": ApprovalWith, "feature_flag": FeatureFlagWith, "rollback": RollbackWith,
    "rate_limit": RateLimitWith, "write_block": WriteBlockWith, "scale": ScaleWith, "restart": RestartWith,
}


def parse_with(kind: str, raw: dict) -> Strict:
    try:
        return WITH_MODELS[kind].model_validate(raw)
    except ValidationError as exc:
        raise ValueError("; ".join(describe_errors(None, exc, prefix="with"))) from None


def changes_things(kind: str, with_: dict) -> bool:
    """A step of this kind changes something (so it waits for approval unless the runbook says otherwise)."""
    if kind in PRESETS or kind == "command":
        return True
    if kind == "http":
        return str(with_.get("method", "GET")).upper() not in READ_ONLY_METHODS
    return False
