"""A malformed setting (`INCIDENTFLOW_RUNBOOK_ENDPOINTS='{bad'`) as one line naming the variable and the
problem, instead of pydantic's traceback. The value itself is never echoed: it may be a secret."""

import json
import re
import sys
from typing import NoReturn

from pydantic import ValidationError
from pydantic_settings import SettingsError

from settings import Settings, get_settings

BAD_SETTINGS_EXIT = 2
_SOURCE = re.compile(r'field "(?P<field>\w+)" from source "(?P<source>\w+)"')


def variable_name(field: str) -> str:
    """The environment variable a Settings field is read from (its alias when it has one)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return field  # pydantic already named the alias
    alias = info.validation_alias
    choices = getattr(alias, "choices", None) or ([alias] if isinstance(alias, str) else [])
    if choices and isinstance(choices[0], str):
        return choices[0]
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def settings_error_line(exc: BaseException) -> str | None:
    """What is wrong with the settings, in one line; None when `exc` is not about the settings."""
    if isinstance(exc, SettingsError):
        found = _SOURCE.search(str(exc))
        if found is None:
            return str(exc)
        where = " (in .env)" if "DotEnv" in found["source"] else ""
        cause = exc.__cause__
        problem = "is not valid JSON" if isinstance(cause, json.JSONDecodeError) else "cannot be read"
        problem += f" ({cause})" if cause else ""
        return f"{variable_name(found['field'])}{where} {problem}"
    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        problems = []
        for error in exc.errors(include_url=False, include_input=False):
            name, *inner = [str(part) for part in error["loc"]] or ["settings"]
            key = f" (key {'.'.join(inner)!r})" if inner else ""
            problems.append(f"{variable_name(name)}{key}: {error['msg']}")
        return "; ".join(problems)
    return None


def exit_on_bad_settings() -> None:
    """Read the settings now, before anything starts: a malformed one ends the process with one line."""
    try:
        get_settings()
    except (SettingsError, ValidationError) as exc:
        line = settings_error_line(exc)
        if line is None:
            raise
        exit_with_settings_error(line)


def exit_with_settings_error(line: str) -> NoReturn:
    print(f"error: {line}", file=sys.stderr)
    raise SystemExit(BAD_SETTINGS_EXIT)
