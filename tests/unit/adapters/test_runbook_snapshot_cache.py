"""The runbook snapshot activity parses the directory once per version of its files: an edited, added or
removed runbook reaches the next incident, an unchanged directory is not parsed again."""

import os
import shutil
from pathlib import Path

from activities.runbook_loader import load_runbooks_snapshot
from adapters import runbook_files
from testkit.environment import PROJECT

RUNBOOKS = PROJECT / "runbooks"


def bump_mtime(path: Path) -> None:
    """Two writes within one tick of the file system's clock keep the same mtime; a test must not rely on it."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


async def test_edited_added_and_removed_runbooks_reach_the_next_snapshot(tmp_path, monkeypatch):
    directory = tmp_path / "runbooks"
    shutil.copytree(RUNBOOKS, directory)
    first = await load_runbooks_snapshot(str(directory))
    names = {r.name for r in first.runbooks}
    assert names and first.problems == []

    parsed = []
    real = runbook_files.load_runbooks
    monkeypatch.setattr(runbook_files, "load_runbooks", lambda d: parsed.append(d) or real(d))
    assert await load_runbooks_snapshot(str(directory)) is first and parsed == []  # unchanged: not parsed again

    one = next(p for p in sorted(directory.glob("*.yaml")) if p.name != runbook_files.ALLOWLIST_FILE)
    name = next(n for n, f in first.files.items() if Path(f).name == one.name)
    one.write_text(one.read_text(encoding="utf-8").replace(f"name: {name}", f"name: {name}-edited", 1),
                   encoding="utf-8")
    bump_mtime(one)
    edited = await load_runbooks_snapshot(str(directory))
    assert f"{name}-edited" in {r.name for r in edited.runbooks} and name not in {r.name for r in edited.runbooks}

    (directory / "broken.yaml").write_text("steps: [", encoding="utf-8")
    bump_mtime(directory)
    broken = await load_runbooks_snapshot(str(directory))
    assert any("broken.yaml: line" in p and "invalid YAML" in p for p in broken.problems)
    assert len(broken.runbooks) == len(edited.runbooks)  # one broken file does not take the others with it

    (directory / "broken.yaml").unlink()
    one.unlink()
    bump_mtime(directory)
    removed = await load_runbooks_snapshot(str(directory))
    assert removed.problems == [] and {r.name for r in removed.runbooks} == names - {name}
    assert len(parsed) == 3
