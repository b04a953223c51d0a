"""README's layout table is the architecture a newcomer reads first: it names every folder of the project and
only folders that exist (issue #22)."""

import re
import subprocess

from testkit.environment import PROJECT


def tracked_top_level_folders() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True).stdout
    return {line.split("/", 1)[0] for line in files.splitlines() if "/" in line and not line.startswith(".")}


def layout_table_folders() -> set[str]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    first_cells = [row.split("|")[1] for row in rows]
    return {name.rstrip("/") for cell in first_cells for name in re.findall(r"`([\w.-]+)/`", cell)}


def test_the_layout_table_names_every_folder_and_only_real_ones():
    tracked, listed = tracked_top_level_folders(), layout_table_folders()
    assert tracked - listed == set(), "folders missing from README's layout table"
    assert listed - tracked == set(), "README's layout table names folders that do not exist"


def test_the_layout_table_names_the_domain_subdomains_that_exist():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `domain/`"))
    named = set(re.findall(r"`(\w+)/`", row.split("|")[2]))
    present = {path.name for path in (PROJECT / "domain").iterdir() if (path / "__init__.py").exists()}
    assert named == present
