"""report: the latest result per minion and check, aggregated over the fleet."""

import datetime
import json

from mdeprereq_engine import report
from tests.conftest import CHECK_IDS
from tests.unit.results import distro_facts, make_result

READY = make_result({"distro": "pass", "systemd": "pass"}, facts=distro_facts())
SYSTEMD_FAILS = make_result({"distro": "pass", "systemd": "fail"}, facts=distro_facts())


def observed(*items):
    """``(minion, time, return, source)`` observations as the runner hands them to latest()."""
    return [
        (minion, moment, report.observe(value), source) for minion, moment, value, source in items
    ]


def test_jid_time():
    jid = "20250102030405123456"
    local = datetime.datetime(2025, 1, 2, 3, 4, 5, 123456).timestamp()
    assert report.jid_time(jid) == local
    utc = datetime.datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc)
    assert report.jid_time(jid, utc=True) == utc.timestamp()
    assert report.jid_time(int(jid)) == local
    for bad in ("req", "", None, "2025010203", "20251302030405123456"):
        assert report.jid_time(bad) is None


def test_latest_keeps_the_newest_result_per_minion():
    records = report.latest(
        observed(
            ("web1", 20.0, READY, "job"),
            ("web1", 10.0, SYSTEMD_FAILS, "job"),
            ("web2", 5.0, SYSTEMD_FAILS, "event"),
        )
    )
    assert records["web1"] == {
        "time": 20.0,
        "source": "job",
        "checks": {"distro": "pass", "systemd": "pass"},
        "distro": "debian 12",
    }
    assert records["web2"]["checks"]["systemd"] == "fail"


def test_digest_keeps_statuses_and_the_distribution_only():
    full = make_result(
        {"distro": "pass", "disk": "warn", "mdatp_user": "fail"},
        facts={**distro_facts("rhel", "9.4"), "disk": {"free": 123, "path": "/opt"}},
    )
    assert report.digest(full) == {
        "checks": {"distro": "pass", "disk": "warn", "mdatp_user": "fail"},
        "distro": "rhel 9.4",
    }
    assert report.digest(make_result({"disk": "pass"}))["distro"] is None  # a partial run
    assert report.is_digest(report.observe(full))
    assert report.is_digest(report.observe("'mdeprereq.check' is not available."))
    for bad in (None, "x", {"checks": "x"}, {"checks": {"disk": 1}}, {"error": 3}):
        assert not report.is_digest(bad)


def test_a_partial_check_updates_only_its_checks():
    full = make_result(
        {"distro": "pass", "disk": "pass", "mdatp_user": "pass"}, facts=distro_facts()
    )
    partial = make_result({"mdatp_user": "fail"}, fixable={"mdatp_user"})
    records = report.latest(observed(("web1", 2.0, partial, "event"), ("web1", 1.0, full, "job")))
    merged = records["web1"]
    assert merged["checks"] == {"distro": "pass", "disk": "pass", "mdatp_user": "fail"}
    assert merged["distro"] == "debian 12"  # from the full run: the partial one has no distro
    assert (merged["time"], merged["source"]) == (2.0, "event")
    # an older partial result does not override a newer full one
    older = report.latest(observed(("web1", 0.5, partial, "event"), ("web1", 1.0, full, "job")))
    assert older["web1"]["checks"]["mdatp_user"] == "pass"


def test_an_error_return_counts_only_without_a_valid_result():
    records = report.latest(
        observed(
            ("web1", 1.0, READY, "job"),
            ("web1", 2.0, "'mdeprereq.check' is not available.", "job"),
            ("web2", 1.0, "'mdeprereq.check' is not available.", "job"),
            ("web3", None, {"ready": True}, "job"),
        )
    )
    assert records["web1"]["checks"] == {"distro": "pass", "systemd": "pass"}
    assert records["web2"] == {
        "time": 1.0,
        "source": "job",
        "error": "'mdeprereq.check' is not available.",
    }
    # a mapping that tries to be a result and is not: skipped (the runner counts it), #14 item 8
    assert "web3" not in records


def test_store_update_and_its_observations_round_trip():
    full = make_result({"distro": "pass", "mdatp_user": "pass"}, facts=distro_facts())
    stored = report.store_update(None, full, 1.0)
    stored = report.store_update(stored, make_result({"mdatp_user": "fail"}), 2.0)
    # each check (and the distribution) only where it was seen last
    assert stored == {
        "seen": [
            {"time": 1.0, "checks": {"distro": "pass"}, "distro": "debian 12"},
            {"time": 2.0, "checks": {"mdatp_user": "fail"}, "distro": None},
        ]
    }
    assert json.loads(json.dumps(stored)) == stored
    observations = report.stored_observations("web1", stored)
    assert sorted(moment for _, moment, _, _ in observations) == [1.0, 2.0]
    assert all(report.is_digest(seen) for _, _, seen, _ in observations)
    merged = report.latest(observations)["web1"]
    assert merged["time"] == 2.0 and merged["source"] == "event"
    assert merged["checks"] == {"distro": "pass", "mdatp_user": "fail"}
    assert merged["distro"] == "debian 12"
    # a full run supersedes everything: one digest left
    stored = report.store_update(stored, full, 3.0)
    assert stored == {"seen": [{"time": 3.0, **report.digest(full)}]}
    garbage_kinds = (
        "x",
        {"seen": "garbage"},
        {"seen": [{"time": 1.0, "checks": "x"}, 7, {"time": 1.0, "checks": {}, "distro": 3}]},
    )
    for garbage in garbage_kinds:
        assert report.store_update(garbage, full, 3.0) == {
            "seen": [{"time": 3.0, **report.digest(full)}]
        }
        assert report.stored_observations("web1", garbage) == []


def test_shards_spread_minions_and_are_stable():
    counts = {}
    for number in range(10_000):
        key = report.shard_of(f"minion-{number:05d}.example.net")
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == report.SHARDS
    assert max(counts.values()) < 2 * 10_000 / report.SHARDS  # no hot shard
    assert report.shard_of("web1") == report.shard_of("web1")
    assert report.shard_of("web1") == "shard-45"  # the same on every master and Python


def test_aggregate_counts_lists_and_distributions():
    records = report.latest(
        observed(
            ("web1", 1.0, READY, "job"),
            ("web2", 1.0, SYSTEMD_FAILS, "job"),
            (
                "db1",
                1.0,
                make_result(
                    {"distro": "fail", "systemd": "fail", "memory": "warn"},
                    facts=distro_facts("rhel", "9.4"),
                ),
                "event",
            ),
            ("old", 1.0, "timeout", "job"),
            ("nodistro", 1.0, make_result({"systemd": "pass"}), "job"),
        )
    )
    remediations = {"web2": {"last": {"outcome": "failed", "time": 5.0}, "attempts": [4.0]}}
    result = report.aggregate(records, remediations)
    assert (result["total"], result["ready"], result["notready"], result["unknown"]) == (5, 2, 2, 1)
    # most widespread first, minions sorted
    assert result["failing"] == {"systemd": ["db1", "web2"], "distro": ["db1"]}
    assert list(result["failing"]) == ["systemd", "distro"]
    assert result["distros"] == {
        "debian 12": {"total": 2, "ready": 1, "notready": 1, "unknown": 0},
        "unknown": {"total": 2, "ready": 1, "notready": 0, "unknown": 1},
        "rhel 9.4": {"total": 1, "ready": 0, "notready": 1, "unknown": 0},
    }
    assert result["minions"]["web2"] == {
        "status": "notready",
        "failing": ["systemd"],
        "distro": "debian 12",
        "time": 1.0,
        "source": "job",
        "remediation": {"outcome": "failed", "time": 5.0},
    }
    assert result["minions"]["old"]["status"] == "unknown"
    assert result["minions"]["old"]["error"] == "timeout"
    # the ready minions are counted, and get a row with show="all" only
    assert set(result["minions"]) == {"web2", "db1", "old"}
    everyone = report.aggregate(records, remediations, show="all")
    assert set(everyone["minions"]) == {"web1", "web2", "db1", "old", "nodistro"}
    assert everyone["minions"]["web1"]["status"] == "ready"
    assert {key: everyone[key] for key in ("total", "ready", "failing", "distros")} == {
        key: result[key] for key in ("total", "ready", "failing", "distros")
    }
    assert json.loads(json.dumps(result)) == result


def test_an_empty_fleet():
    assert report.aggregate({}) == {
        "total": 0,
        "ready": 0,
        "notready": 0,
        "unknown": 0,
        "failing": {},
        "distros": {},
        "minions": {},
    }


DISTROS = (("debian", "12"), ("ubuntu", "22.04"), ("rhel", "9.4"), ("sles", "15.6"))


def test_ten_thousand_minions_aggregate_correctly():
    """A fleet of 10,000 minions with two results each (an old full one, a newer partial one):
    the numbers come out exact. Kept benchmark-friendly: one pass, no quadratic step."""
    observations = []
    expected_failing = {"fanotify": set(), "disk": set(), "mdatp_user": set()}
    expected_distros = {}
    for number in range(10_000):
        minion = f"minion-{number:05d}"
        os_id, version = DISTROS[number % len(DISTROS)]
        statuses = dict.fromkeys(CHECK_IDS, "pass")  # a full run: every check
        if number % 7 == 0:
            statuses["fanotify"] = "fail"  # fails in the full run, passes later (partial run)
        if number % 11 == 0:
            statuses["disk"] = "fail"
        full = make_result(statuses, facts=distro_facts(os_id, version))
        observations.append((minion, 1000.0 + number, full, "job"))
        later = dict.fromkeys(("fanotify", "mdatp_user"), "pass")
        if number % 13 == 0:
            later["mdatp_user"] = "fail"
        observations.append((minion, 5000.0 + number, make_result(later), "event"))
        failing = []
        if number % 11 == 0:
            failing.append("disk")
            expected_failing["disk"].add(minion)
        if number % 13 == 0:
            failing.append("mdatp_user")
            expected_failing["mdatp_user"].add(minion)
        label = f"{os_id} {version}"
        counts = expected_distros.setdefault(label, {"ready": 0, "notready": 0})
        counts["notready" if failing else "ready"] += 1
    records = report.latest(observed(*observations))
    result = report.aggregate(records)
    notready = len(expected_failing["disk"] | expected_failing["mdatp_user"])
    assert result["total"] == 10_000
    assert result["notready"] == notready
    assert result["ready"] == 10_000 - notready
    assert result["unknown"] == 0
    assert "fanotify" not in result["failing"]  # fixed since the full run
    assert set(result["failing"]["disk"]) == expected_failing["disk"]
    assert set(result["failing"]["mdatp_user"]) == expected_failing["mdatp_user"]
    assert len(result["failing"]["disk"]) == 910  # 0, 11, ..., 9999
    for label, counts in expected_distros.items():
        assert result["distros"][label] == {**counts, "total": 2500, "unknown": 0}
    assert result["minions"]["minion-00143"]["failing"] == ["disk", "mdatp_user"]
    assert result["minions"]["minion-00143"]["time"] == 5143.0
