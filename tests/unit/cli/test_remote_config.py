"""Which gateway remote mode talks to: the environment wins over what `incident login` stored, `INCIDENTFLOW_URL=`
forces local mode, half a configuration is a usage error, and the stored file is owner-only TOML that reads back."""

import stat
import tomllib

import pytest

from cli.common import CommandError
from cli.incidents import WORKFLOW_ID_PREFIX
from cli.remote_config import Remote, credentials_path, remote_target, remove_credentials, store_credentials
from cli.training_cmd import KINDS_HELP
from domain.oncall.training import TRAINING_KINDS
from workflows.incident import WORKFLOW_ID_PREFIX as WORKFLOWS_PREFIX


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("INCIDENTFLOW_URL", raising=False)
    monkeypatch.delenv("INCIDENTFLOW_TOKEN", raising=False)
    return tmp_path


def test_nothing_configured_is_local_mode():
    assert remote_target() is None


def test_login_stores_owner_only_toml_that_reads_back(config_home):
    path = store_credentials(Remote(url="https://incidents.example", token='ift_abc_s3cr"et'))
    assert path == config_home / "incidentflow" / "credentials.toml" == credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text(encoding="utf-8"))["token"] == 'ift_abc_s3cr"et'
    found = remote_target()
    assert (found.url, found.token, found.source) == ("https://incidents.example", 'ift_abc_s3cr"et', str(path))
    assert "s3cr" not in repr(found)
    assert remove_credentials() == path and remote_target() is None and remove_credentials() is None


def test_the_environment_wins_and_an_empty_url_forces_local_mode(monkeypatch):
    store_credentials(Remote(url="https://stored.example", token="ift_stored"))
    monkeypatch.setenv("INCIDENTFLOW_TOKEN", "ift_env")
    assert (remote_target().url, remote_target().token) == ("https://stored.example", "ift_env")
    monkeypatch.setenv("INCIDENTFLOW_URL", "http://127.0.0.1:8080/")
    assert (remote_target().url, remote_target().token) == ("http://127.0.0.1:8080", "ift_env")
    monkeypatch.setenv("INCIDENTFLOW_URL", "")
    assert remote_target() is None


def test_a_stored_token_goes_only_with_its_own_gateway(monkeypatch):
    store_credentials(Remote(url="https://stored.example", token="ift_stored"))
    monkeypatch.setenv("INCIDENTFLOW_URL", "https://stored.example/")
    assert remote_target().token == "ift_stored"
    monkeypatch.setenv("INCIDENTFLOW_URL", "https://other.example")
    with pytest.raises(CommandError) as raised:
        remote_target()
    assert raised.value.code == 2
    assert str(raised.value) == ("INCIDENTFLOW_URL is https://other.example but there is no token for it: set "
                                 "INCIDENTFLOW_TOKEN, or run `incident login --url https://other.example`")


@pytest.mark.parametrize(("url", "token", "message"), [
    ("ftp://incidents.example", "ift_x", "environment: url: URL scheme should be 'http' or 'https'"),
    ("https://incidents.example", "ift x", "environment: token: String should match pattern"),
    (None, "ift_x", "INCIDENTFLOW_TOKEN is set but no gateway: set INCIDENTFLOW_URL too, or run `incident login`"),
])
def test_a_bad_or_half_configuration_is_a_usage_error(monkeypatch, url, token, message):
    if url is not None:
        monkeypatch.setenv("INCIDENTFLOW_URL", url)
    monkeypatch.setenv("INCIDENTFLOW_TOKEN", token)
    with pytest.raises(CommandError) as raised:
        remote_target()
    assert raised.value.code == 2 and str(raised.value).startswith(message)
    assert token not in str(raised.value)  # never echoed


def test_a_damaged_credentials_file_names_itself(config_home):
    path = config_home / "incidentflow" / "credentials.toml"
    path.parent.mkdir()
    path.write_text("url = 'https://incidents.example'\n", encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(CommandError) as raised:
        remote_target()
    assert str(raised.value) == f"{path}: needs `url` and `token` strings; run `incident login` again"


def test_constants_spelt_out_for_a_quick_help_match_their_source():
    assert " | ".join(TRAINING_KINDS) == KINDS_HELP
    assert WORKFLOW_ID_PREFIX == WORKFLOWS_PREFIX


@pytest.mark.parametrize("args", [["ack", "inc-1"], ["assign", "inc-1", "--role", "ic", "--to", "minsu"],
                                  ["declare", "--service", "shop", "--severity", "sev3", "--title", "Slow"]])
def test_local_mode_still_needs_by(args):
    """Only the gateway knows who a token is: without one, `--by` is the actor and must be given."""
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, CommandError)
    assert (str(result.exception), result.exception.code) == ("Missing option '--by'.", 2)


def test_login_asks_for_the_token_without_echoing_it(monkeypatch, config_home):
    from typer.testing import CliRunner

    import cli.remote_commands
    from cli.main import app
    from domain.identity.principal import Principal, PrincipalKind
    from domain.identity.roles import Role

    asked = []

    def whoami(client):
        asked.append(client.url)
        return Principal(kind=PrincipalKind.PERSON, name="minsu", role=Role.RESPONDER)

    monkeypatch.setattr(cli.remote_commands, "whoami", whoami)
    result = CliRunner().invoke(app, ["login", "--url", "https://incidents.example"], input="ift_abc_typed\n")
    assert result.exit_code == 0, result.output
    assert "ift_abc_typed" not in result.output and result.output.startswith("Token: ")
    assert "logged in to https://incidents.example as minsu (person, responder)" in result.output
    assert asked == ["https://incidents.example"] and remote_target().token == "ift_abc_typed"
