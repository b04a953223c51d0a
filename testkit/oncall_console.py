"""The gateway for the On call page and `/api/oncall` (tests/integration/gateway/test_oncall_console_api.py,
tests/e2e/test_console_oncall.py): nothing there needs Temporal, so none runs (its address is a closed port).
The shipped policy, except that sre-lead is an admin (overrides need one) while cto stays a commander; the
development login and a feed secret are on, and people can be given their onboarding."""

import shutil
from contextlib import contextmanager
from pathlib import Path

from adapters.policy_files import load_policy
from adapters.stores.ledger import open_ledger
from service import tokens, training
from testkit.environment import POLICY_DIR, free_port
from testkit.gateway import served

FEED_SECRET = "test-oncall-feed-secret"
ADMIN, COMMANDER = "sre-lead", "cto"
SRE_LEAD_LINE = ('sre-lead: {name: "SRE Team Lead (@game-sre-lead)", slack_id: U05SRELEAD, '
                 'email: sre-lead@game.example, role: commander}')


def admin_policy(workdir: Path) -> Path:
    """The shipped policy files with sre-lead an admin."""
    target = workdir / "policies"
    shutil.copytree(POLICY_DIR, target)
    oncall = target / "oncall-escalation-policy.yaml"
    text = oncall.read_text(encoding="utf-8")
    assert SRE_LEAD_LINE in text, "the shipped policy's sre-lead line changed: update testkit/oncall_console.py"
    oncall.write_text(text.replace(SRE_LEAD_LINE, SRE_LEAD_LINE.replace("role: commander", "role: admin")),
                      encoding="utf-8")
    return target


@contextmanager
def oncall_gateway(workdir: Path, feed_secret: str | None = FEED_SECRET):
    policy_dir = admin_policy(workdir)
    settings = {"dev_login": True, "policy_dir": policy_dir, "data_dir": workdir,
                "database_url": f"sqlite:///{workdir}/ledger.sqlite3"}
    if feed_secret:
        settings["oncall_feed_secret"] = feed_secret
    with served(f"127.0.0.1:{free_port()}", "oncall-console", **settings) as gateway:
        yield gateway


def onboarded(gateway, *people: str) -> None:
    """Record each person's onboarding (the policy refuses an override for someone without it)."""
    ledger = open_ledger(gateway.settings.database_url)
    policy = load_policy(gateway.settings.policy_dir)
    for person in people:
        training.record(ledger, policy, person=person, kind="onboarding", by="sre-lead")


def personal_token(gateway, person: str) -> str:
    return tokens.issue(open_ledger(gateway.settings.database_url), name=f"{person}-laptop", kind="person",
                        person=person).secret
