"""On-call overrides in the ledger (issue 5), on SQLite and PostgreSQL: what `incident oncall override`
stores is what paging and `incident oncall now` see, a ledger of the previous schema upgrades without
loss, and an existing `overrides.json` is imported exactly once."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from adapters.stores.ledger import Ledger
from adapters.stores.ledger_engine import make_engine
from adapters.stores.ledger_migrations import LATEST, current_version, migrate
from adapters.stores.overrides import OverrideStore, OverrideStoreError, StoredOverride
from domain.incident.severity import Tier
from domain.oncall.rotation import Override, holder

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 12:00 Asia/Seoul


def cover(who="minsu", tier=Tier.PRIMARY, start=T0, hours=48, reason="hyunwoo on vacation") -> Override:
    return Override(tier=tier, who=who, start=start, end=start + timedelta(hours=hours), reason=reason)


def test_an_override_is_stored_in_the_ledger_and_seen_by_every_store(ledger_url, tmp_path, policy):
    writer = OverrideStore(tmp_path / "data", url=ledger_url)
    stored = writer.add(cover(), created_by="jiyoung")
    swap = writer.add(cover(who="seoyeon", start=T0 + timedelta(hours=10), hours=2, reason="evening swap"))

    reader = OverrideStore(tmp_path / "elsewhere", url=ledger_url)  # another process: the worker
    loaded = reader.load_for_paging()
    assert [(o.id, o.who, o.start, o.end, o.reason, o.created_by) for o in loaded] == [
        (stored.id, "minsu", T0, T0 + timedelta(hours=48), "hyunwoo on vacation", "jiyoung"),
        (swap.id, "seoyeon", T0 + timedelta(hours=10), T0 + timedelta(hours=12), "evening swap", None)]
    assert holder(policy.oncall, Tier.PRIMARY, T0 + timedelta(hours=1), loaded) == "minsu"
    assert holder(policy.oncall, Tier.PRIMARY, T0 + timedelta(hours=11), loaded) == "seoyeon"  # the later start

    assert reader.remove(swap.id).reason == "evening swap"
    assert [o.id for o in writer.load()] == [stored.id]
    with pytest.raises(OverrideStoreError, match=f"no override 'ovr-nope' \\({stored.id}\\)"):
        writer.remove("ovr-nope")
    assert not (tmp_path / "data" / "overrides.json").exists()  # nothing goes to the old file any more


def test_a_version_2_ledger_upgrades_keeps_its_rows_and_imports_overrides_json_once(ledger_url, tmp_path, policy):
    engine = make_engine(ledger_url)
    assert migrate(engine, target=2) == [1, 2]
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO incidents (id, service, severity, title, source, fingerprints, phase, drill, declared_by,"
            " started_at, detected_at, snapshot, version, updated_at) VALUES ('old-1', 'payments', 'sev1',"
            " 'Old outage', 'cli', '[]', 'closed', false, 'minsu', :at, :at, '{}', 3, :at)"),
            {"at": T0 if conn.dialect.name == "postgresql" else T0.replace(tzinfo=None)})
    engine.dispose()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    legacy = [StoredOverride(id="ovr-aaa111", tier=Tier.SECONDARY, who="hyunwoo", start=T0,
                             end=T0 + timedelta(days=2), reason="swap", created_by="minsu")]
    (data_dir / "overrides.json").write_text(json.dumps(
        [o.model_dump(mode="json", by_alias=True) for o in legacy]), encoding="utf-8")

    store = OverrideStore(data_dir, url=ledger_url)
    (imported,) = store.load()  # opening the ledger migrates it to the latest version, then imports the file
    assert (imported.id, imported.tier, imported.who, imported.start, imported.created_by) == (
        "ovr-aaa111", Tier.SECONDARY, "hyunwoo", T0, "minsu")
    assert not (data_dir / "overrides.json").exists()
    assert (data_dir / "overrides.json.imported").exists()  # kept for reference, never read again
    ledger = Ledger(ledger_url)
    try:
        with ledger.engine.connect() as conn:
            assert current_version(conn) == LATEST
        assert ledger.incident("old-1").title == "Old outage"  # the version-2 rows survived
    finally:
        ledger.dispose()

    # the same file put back (a restored backup) adds nothing; a removal is not undone by it
    (data_dir / "overrides.json").write_text((data_dir / "overrides.json.imported").read_text(), encoding="utf-8")
    assert [o.id for o in store.load()] == ["ovr-aaa111"]
    store.remove("ovr-aaa111")
    assert store.load() == []


def test_a_damaged_overrides_json_is_named_and_paging_still_uses_the_ledger(ledger_url, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    store = OverrideStore(data_dir, url=ledger_url)
    kept = store.add(cover())
    (data_dir / "overrides.json").write_text('[{"tier": "primary", "who": "minsu"}]', encoding="utf-8")
    with pytest.raises(OverrideStoreError, match=r"overrides\.json: entry 0\.from: Field required \(fix or remove"):
        store.load()
    assert [o.id for o in store.load_for_paging()] == [kept.id]
    assert (data_dir / "overrides.json").exists()  # not imported, not lost


def test_an_unreachable_database_pages_the_plain_rotation_and_the_cli_says_why(tmp_path):
    store = OverrideStore(tmp_path, url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert store.load_for_paging() == []
    with pytest.raises(OverrideStoreError, match="cannot use the ledger postgresql\\+psycopg://nobody@127.0.0.1:1"):
        store.add(cover())


def test_the_cli_records_lists_uses_and_removes_an_override(ledger_url, tmp_path):
    env = {**os.environ, "INCIDENTFLOW_DATA_DIR": str(tmp_path / "data"), "INCIDENTFLOW_DATABASE_URL": ledger_url}

    def incident(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    at = "2026-11-25T03:00+09:00"
    scheduled = json.loads(incident("oncall", "now", "--at", at, "--json"))["tiers"][0]
    cover_who = "seoyeon" if scheduled["who"] != "seoyeon" else "minsu"
    incident("training", "record", cover_who, "onboarding", "--by", "sre-lead")  # refused on call without it
    added = incident("oncall", "override", "--tier", "primary", "--who", cover_who, "--from", "2026-11-24T12:00+09:00",
                     "--to", "2026-11-26T12:00+09:00", "--reason", "vacation", "--by", "jiyoung")
    override_id = added.split(":")[0]
    listed = json.loads(incident("oncall", "overrides", "--json"))
    assert [(o["id"], o["who"], o["created_by"]) for o in listed] == [(override_id, cover_who, "jiyoung")]
    now = json.loads(incident("oncall", "now", "--at", at, "--json"))["tiers"][0]
    assert (now["who"], now["override"]) == (cover_who, "vacation")
    assert OverrideStore(tmp_path / "other", url=ledger_url).load()[0].id == override_id  # it is in the ledger
    assert f"removed {override_id}" in incident("oncall", "remove-override", override_id)
    assert json.loads(incident("oncall", "now", "--at", at, "--json"))["tiers"][0]["who"] == scheduled["who"]
