"""The production compose path, checked statically (CI has no Docker engine): docker-compose.yml, the
Dockerfile, .env.example and the scripts they mount, against the code they deploy."""

import re
import shlex

import pytest
import typer
import yaml

from cli.config_table import env_names
from cli.main import app
from settings import Settings
from testkit.environment import PROJECT
from workflows import search

ROOT = PROJECT
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
CONFIGURATION_DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
OURS = ("worker", "gateway")
SETTINGS_ENV = {name for key, field in Settings.model_fields.items() for name in env_names(key, field)}
# Variables of the compose file itself (passwords it hands to PostgreSQL), not settings of the code.
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "LEDGER_DB_PASSWORD"}


def env_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def example_keys() -> set[str]:
    """Keys in .env.example, set or commented out (`# KEY=…`)."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE, re.M))


def test_the_services_of_temporals_own_layout_and_ours():
    assert set(SERVICES) == {"postgresql", "temporal-admin-tools", "temporal", "temporal-create-namespace",
                             "temporal-ui", "worker", "gateway"}
    assert SERVICES["temporal-ui"]["ports"] == ["8080:8080"]
    assert "7233:7233" in SERVICES["temporal"]["ports"]
    assert SERVICES["worker"]["deploy"]["replicas"] == 2
    assert "ports" not in SERVICES["worker"], "replicas cannot share a host port; Prometheus scrapes them inside"


@pytest.mark.parametrize(("service", "needs"), [
    ("temporal-admin-tools", {"postgresql": "service_healthy"}),
    ("temporal", {"temporal-admin-tools": "service_completed_successfully"}),
    ("temporal-create-namespace", {"temporal": "service_healthy"}),
    ("temporal-ui", {"temporal": "service_healthy"}),
    ("worker", {"temporal-create-namespace": "service_completed_successfully", "postgresql": "service_healthy"}),
    ("gateway", {"temporal-create-namespace": "service_completed_successfully", "postgresql": "service_healthy"}),
])
def test_start_order_waits_for_health_not_just_for_start(service, needs):
    depends = SERVICES[service]["depends_on"]
    assert {name: spec["condition"] for name, spec in depends.items()} == needs


def test_health_checks():
    assert "pg_isready" in " ".join(SERVICES["postgresql"]["healthcheck"]["test"])
    assert "7233" in SERVICES["temporal"]["healthcheck"]["test"]
    worker_port = env_of(SERVICES["worker"])["INCIDENTFLOW_METRICS_PORT"]
    assert env_of(SERVICES["worker"])["INCIDENTFLOW_METRICS_HOST"] == "0.0.0.0"
    assert f"127.0.0.1:{worker_port}/healthz" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
    command = SERVICES["gateway"]["command"]
    gateway_port = command[command.index("--port") + 1]
    assert f"127.0.0.1:{gateway_port}/healthz" in " ".join(SERVICES["gateway"]["healthcheck"]["test"])
    assert f"{gateway_port}:{gateway_port}" in SERVICES["gateway"]["ports"]


def test_postgresql_keeps_its_data_in_a_named_volume():
    mounts = SERVICES["postgresql"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert named and named[0] in COMPOSE["volumes"]
    for service in OURS:  # the stores workers and gateway share
        assert any(m.split(":")[0] in COMPOSE["volumes"] and m.split(":")[1] == env_of(SERVICES[service])[
            "INCIDENTFLOW_DATA_DIR"] for m in SERVICES[service]["volumes"])


def mounted_script(service: str) -> str:
    """The script a service runs, read from the repository directory mounted at its path."""
    command = SERVICES[service]["command"]
    path = command if isinstance(command, str) else command[-1]
    for mount in SERVICES[service]["volumes"]:
        source, target = mount.split(":")[:2]
        if path.startswith(target + "/"):
            file = ROOT / source / path.removeprefix(target + "/")
            assert file.is_file(), f"{service} runs {path}, but {file} does not exist"
            return file.read_text(encoding="utf-8")
    raise AssertionError(f"{service}: {path} is not in a mounted directory")


def test_schema_setup_with_temporal_sql_tool_for_both_databases():
    script = mounted_script("temporal-admin-tools")
    assert "temporal-sql-tool --plugin postgres12" in script
    assert "for db in temporal temporal_visibility; do" in script and '--db "$db" create' in script
    for db in ("temporal", "temporal_visibility"):
        assert f"--db {db} setup-schema -v 0.0" in script and f"--db {db} update-schema" in script
    assert "temporal/versioned" in script and "visibility/versioned" in script


def test_namespace_and_the_search_attributes_the_code_uses():
    script = mounted_script("temporal-create-namespace")
    assert "temporal operator namespace create" in script
    listed = re.search(r"for attribute in ([A-Za-z ]+); do", script).group(1).split()
    assert sorted(listed) == sorted(key.name for key in search.ALL)
    assert "--type Keyword" in script


def test_images_are_pinned():
    images = [spec["image"] for spec in SERVICES.values()]
    images += re.findall(r"^FROM\s+(\S+)", DOCKERFILE, re.M)
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest" and re.search(r"\d", tag), f"{image} is not pinned"


def test_our_services_are_built_from_the_dockerfile_and_run_existing_commands():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^incident = "cli\.main:run"$', pyproject, re.M), "the `incident` console script"
    root = typer.main.get_command(app)
    for service in OURS:
        spec = SERVICES[service]
        assert spec["build"] == "." and (ROOT / "Dockerfile").is_file()
        command = spec["command"] if isinstance(spec["command"], list) else shlex.split(spec["command"])
        assert command[0] == "incident"
        sub = root.commands.get(command[1])
        assert sub is not None, f"{service}: `incident {command[1]}` does not exist"
        options = {opt for param in sub.params for opt in param.opts}
        for word in command[2:]:
            if word.startswith("--"):
                assert word in options, f"{service}: `incident {command[1]}` has no option {word}"
    default = re.search(r"^CMD\s+(\[.*\])", DOCKERFILE, re.M).group(1)
    assert yaml.safe_load(default)[:2] == ["incident", "worker"]


def test_the_image_holds_every_package_and_module_of_the_project():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    packages = re.findall(r'"(\w+)\*"', re.search(r"^include = \[(.*)\]$", pyproject, re.M).group(1))
    modules = re.findall(r'"(\w+)"', re.search(r"^py-modules = \[(.*)\]$", pyproject, re.M).group(1))
    copied = " ".join(re.findall(r"^COPY (.+)$", DOCKERFILE, re.M))
    for name in packages:
        assert re.search(rf"(^|\s){name}(\s|$)", copied), f"Dockerfile does not COPY package {name}/"
    for name in modules:
        assert f"{name}.py" in copied, f"Dockerfile does not COPY {name}.py"
    for directory in ("policies", "runbooks"):
        assert directory in copied
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and ".git" in ignored


def test_every_variable_set_for_our_services_is_a_setting_of_the_code():
    for service in OURS:
        unknown = set(env_of(SERVICES[service])) - SETTINGS_ENV
        assert not unknown, f"{service} sets {unknown}, which no setting reads (typo?)"
    unknown = example_keys() - SETTINGS_ENV - COMPOSE_ONLY
    assert not unknown, f".env.example names {unknown}, which no setting reads"


def test_every_interpolated_variable_is_in_the_env_example_and_every_secret_is_offered():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert interpolated - example_keys() == set()
    secrets = {env_names(k, f)[0] for k, f in Settings.model_fields.items()
               if "SecretStr" in str(f.annotation)}
    assert secrets <= example_keys(), f"secrets missing from .env.example: {secrets - example_keys()}"
    assert example_keys() >= COMPOSE_ONLY
    for name in COMPOSE_ONLY:
        assert name in DEPLOY_DOC


def test_every_variable_the_code_reads_is_set_or_documented():
    set_somewhere = example_keys() | {k for s in OURS for k in env_of(SERVICES[s])}
    for name in SETTINGS_ENV:
        assert name in set_somewhere or f"`{name}`" in CONFIGURATION_DOC, f"{name} is neither set nor documented"
    # variables read directly (os.environ / getenv with a literal name) outside the settings model
    pattern = re.compile(r"""(?:environ\.get|getenv|environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
    for path in ROOT.glob("**/*.py"):
        if any(part in (".venv", "tests", "testkit", "bench") for part in path.relative_to(ROOT).parts):
            continue
        for name in pattern.findall(path.read_text(encoding="utf-8")):
            assert name in SETTINGS_ENV or f"`{name}`" in CONFIGURATION_DOC, f"{path}: reads {name}, undocumented"


def test_the_readme_says_the_compose_path_is_checked_statically():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docker-compose.yml" in readme
    assert re.search(r"checked statically|statically checked", readme), "README must say how compose is verified"
