"""Installs are reproducible: constraints.txt pins every package a fresh `make dev`/`make test`/CI/Docker install
gets (docs/upgrading.md, "Dependencies"), and this environment was installed from it."""

import re
import tomllib
from importlib import metadata

from testkit.environment import PROJECT as ROOT


def pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    found = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {_normal(name): version for name, version in found}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_of_the_project_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    names = {_normal(re.match(r"[A-Za-z0-9_.-]+", requirement).group()) for requirement in wanted}
    assert names - set(pins()) == set(), "run `make lock` after changing dependencies in pyproject.toml"


def test_this_environment_is_installed_from_the_pins():
    installed = {_normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    different = {name: (version, installed[name]) for name, version in pins().items()
                 if name in installed and installed[name] != version}
    assert different == {}, "pinned vs installed: reinstall with `make install` (or `make lock` to move the pins)"
