"""`incident token create|list|revoke` as an operator types them, against the ledger in a data dir: the secret is
printed once (and works), listing never shows it, a revoked token is nobody from then on."""

import json
import os

from adapters.policy_files import load_policy
from adapters.stores.ledger import Ledger
from adapters.stores.ledger_engine import default_url
from service import tokens
from testkit.environment import POLICY_DIR
from testkit.helpers import incident


def test_create_list_and_revoke_round_trip(tmp_path):
    env = {**os.environ, "INCIDENTFLOW_DATA_DIR": str(tmp_path), "INCIDENTFLOW_POLICY_DIR": str(POLICY_DIR)}
    env.pop("INCIDENTFLOW_DATABASE_URL", None)
    created = incident(env, "token", "create", "--name", "minsu laptop", "--person", "minsu", "--expires", "90d")
    secret = created.stdout.strip()
    assert secret.startswith("ift_") and len(secret.splitlines()) == 1  # stdout holds the secret alone
    assert "cannot be shown again" in created.stderr and "person token" in created.stderr
    service = incident(env, "token", "create", "--name", "alertmanager", "--service").stdout.strip()

    listed = json.loads(incident(env, "token", "list", "--json").stdout)
    assert {(t["name"], t["kind"], t["person"], t["state"]) for t in listed} == {
        ("minsu laptop", "person", "minsu", "active"), ("alertmanager", "service", None, "active")}
    table = incident(env, "token", "list").stdout
    everything_listed = json.dumps(listed) + table
    assert secret.split("_", 2)[2] not in everything_listed and service.split("_", 2)[2] not in everything_listed
    assert "secret_hash" not in everything_listed

    ledger, policy = Ledger(default_url(tmp_path)), load_policy(POLICY_DIR)
    try:
        assert tokens.principal_for(ledger, secret, policy).name == "minsu"
        minsu = next(t["id"] for t in listed if t["name"] == "minsu laptop")
        assert incident(env, "token", "revoke", minsu).stdout.strip() == f"revoked {minsu}"
        assert tokens.principal_for(ledger, secret, policy) is None
        assert tokens.principal_for(ledger, service, policy) is not None
    finally:
        ledger.dispose()
    states = {t["id"]: t["state"] for t in json.loads(incident(env, "token", "list", "--json").stdout)}
    assert states[minsu] == "revoked"


def test_mistakes_are_one_line_and_create_nothing(tmp_path):
    env = {**os.environ, "INCIDENTFLOW_DATA_DIR": str(tmp_path), "INCIDENTFLOW_POLICY_DIR": str(POLICY_DIR)}
    env.pop("INCIDENTFLOW_DATABASE_URL", None)
    for args, message in ((["--name", "x"], "give exactly one of --person PERSON, --service or --admin"),
                          (["--name", "x", "--person", "mallory"], "'mallory' is not one of the people"),
                          (["--name", "x", "--admin", "--expires", "soon"], "--expires: invalid duration")):
        refused = incident(env, "token", "create", *args, check=False)
        assert (refused.returncode, refused.stdout) == (2, ""), refused.stderr
        assert refused.stderr.startswith(f"error: {message}") and len(refused.stderr.splitlines()) == 1, refused.stderr
    unknown = incident(env, "token", "revoke", "nope", check=False)
    assert unknown.returncode == 1 and "no token 'nope'" in unknown.stderr
    assert json.loads(incident(env, "token", "list", "--json").stdout) == []
