"""Field types and checks shared by the two policy documents."""

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, StringConstraints

SLUG = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA time zone {name!r} (e.g. Asia/Seoul)") from None
    return name


ZoneName = Annotated[str, AfterValidator(_check_zone)]
# A Slack user group's handle as people type it (`@game-sre-oncall`); kept without the @
SlackGroupHandle = Annotated[str, BeforeValidator(lambda v: v.strip().removeprefix("@") if isinstance(v, str) else v),
                             StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")]


def require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
