"""Reading a runbook directory: every `*.yaml` is a runbook except `allowlist.yaml` (the executables that
`command` steps may run). Used by `incident runbook check|list|dry-run` and by the incident's snapshot
activity; a broken file is reported, never fatal to an incident."""

from pathlib import Path

from pydantic import ValidationError

from adapters import yaml_files
from domain.common.validation_errors import describe_errors
from domain.runbooks.actions import CommandWith, parse_with
from domain.runbooks.catalog import RunbookSet
from domain.runbooks.schema import TEMPLATE, Allowlist, Runbook

ALLOWLIST_FILE = "allowlist.yaml"


def resolve_executable(directory: Path, entry: str) -> Path:
    path = Path(entry)
    return path if path.is_absolute() else (directory / path).resolve()


def command_problems(runbook: Runbook, allowlist: Allowlist, directory: Path) -> list[str]:
    allowed = {resolve_executable(directory, e) for e in allowlist.executables}
    problems = []
    for index, step in enumerate(runbook.steps):
        actions = [(f"steps.{index}", step), (f"steps.{index}.rollback", step.rollback),
                   (f"steps.{index}.verify", step.verify)]
        for where, action in actions:
            if action is None or action.kind != "command":
                continue
            spec = parse_with("command", action.with_)
            assert isinstance(spec, CommandWith)
            executable = spec.argv[0]
            if TEMPLATE.search(executable):
                problems.append(f"{where}.with.argv.0: the executable must be literal, not templated")
            elif resolve_executable(directory, executable) not in allowed:
                problems.append(f"{where}.with.argv.0: {executable!r} is not in {ALLOWLIST_FILE}")
    return problems


def _runbook_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_runbooks(directory: Path | str) -> RunbookSet:
    directory = Path(directory)
    result = RunbookSet(directory=str(directory.resolve()))
    if not directory.is_dir():
        result.problems.append(f"{directory}: (directory): not found")
        return result
    allow_path = directory / ALLOWLIST_FILE
    if allow_path.exists():
        try:
            result.allowlist = Allowlist.model_validate(yaml_files.read(allow_path) or {})
        except ValueError as exc:
            lines = describe_errors(str(allow_path), exc) if isinstance(exc, ValidationError) else [str(exc)]
            result.problems.extend(lines)
    for path in _runbook_files(directory):
        if path.name == ALLOWLIST_FILE:
            continue
        try:
            runbook = Runbook.model_validate(yaml_files.read(path))
        except ValidationError as exc:
            result.problems.extend(describe_errors(str(path), exc))
            continue
        except ValueError as exc:
            result.problems.append(str(exc))
            continue
        if runbook.name in result.files:
            result.problems.append(f"{path}: name: {runbook.name!r} is also defined in {result.files[runbook.name]}")
            continue
        problems = command_problems(runbook, result.allowlist, directory)
        if problems:
            result.problems.extend(f"{path}: {p}" for p in problems)
            continue
        result.runbooks.append(runbook)
        result.files[runbook.name] = str(path)
    return result


_snapshots: yaml_files.ParsedOnce[RunbookSet] = yaml_files.ParsedOnce()


def runbook_snapshot(directory: Path | str) -> RunbookSet:
    """The directory's runbooks, parsed once per version of its files (the directory's own stat changes when a
    file is added, removed or renamed; each file's when it is edited): every incident loads them at its start
    (docs/performance.md)."""
    path = Path(directory).resolve()
    files = [path, *_runbook_files(path)] if path.is_dir() else [path]
    return _snapshots.get(path, files, lambda: load_runbooks(directory))
