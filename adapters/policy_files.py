"""Reading the policy YAML files. Used by the workflow's snapshot activity, the worker's start-up check
and `incident policy check`."""

from pathlib import Path

from pydantic import ValidationError

from adapters import yaml_files
from domain.common.validation_errors import describe_errors
from domain.policy.incident_policy import IncidentPolicy
from domain.policy.model import Policy
from domain.policy.oncall_policy import OnCallPolicy

INCIDENT_FILE = "incident-management-policy.yaml"
ONCALL_FILE = "oncall-escalation-policy.yaml"


class PolicyError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def read_yaml(path: Path) -> object:
    """Parse a YAML file or raise PolicyError naming the file and line."""
    try:
        return yaml_files.read(path)
    except yaml_files.UnreadableFile as exc:
        raise PolicyError([str(exc)]) from None


def load_policy(directory: Path | str) -> Policy:
    """Load and validate both policy documents; every problem is reported, not just the first."""
    directory = Path(directory)
    problems: list[str] = []
    parts = {}
    for name, model, key in ((INCIDENT_FILE, IncidentPolicy, "incident"), (ONCALL_FILE, OnCallPolicy, "oncall")):
        path = directory / name
        try:
            document = read_yaml(path)
            parts[key] = model.model_validate(document)
        except PolicyError as exc:
            problems.extend(exc.problems)
        except ValidationError as exc:
            problems.extend(describe_errors(str(path), exc))
    if problems:
        raise PolicyError(problems)
    return Policy(**parts)


_snapshots: yaml_files.ParsedOnce[Policy] = yaml_files.ParsedOnce()


def policy_snapshot(directory: Path | str | None = None) -> Policy:
    """The policy as the files say now, parsed once per version of the files (mtime, size, inode), since every
    alert reads it (docs/performance.md). None means the configured policy directory. Raises PolicyError like
    `load_policy`."""
    from settings import get_settings

    path = Path(directory or get_settings().policy_dir).resolve()
    return _snapshots.get(path, [path / INCIDENT_FILE, path / ONCALL_FILE], lambda: load_policy(path))
