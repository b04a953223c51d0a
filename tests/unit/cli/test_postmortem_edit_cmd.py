"""`incident postmortem edit`: $EDITOR opens the ledger's draft (not a file in the data dir) and the saved text
goes back to the ledger as the next version, with the export file rewritten; when someone saved in between, the
save is refused with exit 1, nothing is overwritten and the edited text is kept in a file it names
(docs/learning-loop.md, "Drafts")."""

import shlex
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.postmortem_cmd
from cli.main import app
from domain.incident.lifecycle import new_incident
from domain.incident.records import PostmortemRecord
from domain.incident.state import IncidentStart
from testkit.learning import NOW

# An editor that appends a line; with a second argument it first saves another version to the ledger, as a
# colleague in the console would while the file is open
EDITOR = """
import sys
from pathlib import Path
from adapters.stores.ledger import Ledger
from datetime import UTC, datetime
path = Path(sys.argv[-1])
if len(sys.argv) > 3:
    Ledger(sys.argv[1]).save_postmortem_draft(sys.argv[2], "# jiyoung's version\\n", "jiyoung", datetime.now(UTC))
path.write_text(path.read_text(encoding="utf-8") + "Root cause: a config push.\\n", encoding="utf-8")
"""


@pytest.fixture
def drafted(monkeypatch, ledger, policy, tmp_path):
    state = new_incident(policy, IncidentStart(id="pm-edit-1", title="Payment errors", service="payments",
                                               severity="sev1", declared_by="minsu"), NOW)
    ledger.record_incident(state, "declared", NOW)
    export = tmp_path / "data" / "postmortems" / f"{state.id}.md"
    ledger.save_draft(PostmortemRecord(incident_id=state.id, deadline=NOW + timedelta(days=2), drafted_at=NOW,
                                       path=str(export), markdown="# draft\n"))
    monkeypatch.setattr(cli.postmortem_cmd, "ledger", lambda: ledger)
    script = tmp_path / "editor.py"
    script.write_text(EDITOR, encoding="utf-8")
    return state.id, export, f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def test_edit_saves_the_next_version_to_the_ledger_and_the_export(monkeypatch, ledger, drafted):
    incident, export, editor = drafted
    monkeypatch.setenv("EDITOR", editor)
    result = CliRunner().invoke(app, ["postmortem", "edit", incident])
    assert result.exit_code == 0, result.output
    assert f"{incident}: draft saved (version 2; {export})" in result.output
    draft = ledger.postmortem_draft(incident)
    assert draft.markdown == "# draft\nRoot cause: a config push.\n" and draft.version == 2
    assert export.read_text(encoding="utf-8") == draft.markdown


def test_a_save_in_between_refuses_the_edit_and_keeps_the_text(monkeypatch, ledger, ledger_url, drafted):
    incident, _, editor = drafted
    monkeypatch.setenv("EDITOR", f"{editor} {shlex.quote(ledger_url)} {incident}")
    result = CliRunner().invoke(app, ["postmortem", "edit", incident])
    message = str(result.exception)  # the entry point prints it as `error: …` and exits with its code
    assert result.exit_code == 1 and result.exception.code == 1
    assert "was saved by jiyoung since you opened it (version 2, yours started from 1)" in message
    kept = Path(message.rsplit("your text is kept in ", 1)[1].rstrip(")"))
    assert kept.read_text(encoding="utf-8") == "# draft\nRoot cause: a config push.\n"
    assert ledger.postmortem_draft(incident).markdown == "# jiyoung's version\n"
