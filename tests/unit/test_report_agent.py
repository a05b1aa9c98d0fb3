"""The report's agent view: what it keeps of the agent checks (validated, bounded), the counts,
the failing minions per agent check, and the CSV."""

import csv
import datetime
import io

import pytest

from mdeprereq_engine import agent, checks, report
from mdeprereq_engine.settings import Settings
from tests.unit.results import distro_facts, make_result
from tests.unit.test_agent import DAEMON, Cli, json_sample, plain_cli


def agent_result(build="101.25042.0003", ring="Production", days_left=200, **overrides):
    """A result whose agent checks carry the facts the real checks give (see the test below that
    digests a real run)."""
    statuses = {
        "distro": "pass",
        "agent_service": "pass",
        "agent_health": "pass",
        "agent_version": "pass" if days_left > 30 else ("warn" if days_left > 0 else "fail"),
        "agent_definitions": "pass",
        "agent_protection": "pass",
    }
    statuses.update(overrides.pop("statuses", {}))
    facts = {
        **distro_facts(),
        "agent_service": {"daemon_running": True},
        "agent_health": {"healthy": True, "licensed": True},
        "agent_version": {
            "app_version": build,
            "release_ring": ring,
            "product_expiration": "2027-01-01",
            "days_left": days_left,
        },
        "agent_definitions": {"age_hours": 1.5},
        "agent_protection": {"mode": "real_time"},
    }
    for check_id, changes in overrides.items():
        facts[check_id] = {**facts[check_id], **changes}
    return make_result(statuses, facts=facts)


NOT_INSTALLED = make_result(
    {
        "distro": "pass",
        **dict.fromkeys(report.AGENT_CHECK_IDS, "skip"),
    },
    facts=distro_facts(),
)


def test_digest_of_a_real_agent_run(machine, monkeypatch):
    """The facts the report reads are the ones the checks give."""

    monkeypatch.setattr(agent, "today", lambda: datetime.date(2024, 1, 1))
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.23062.0010"})
    machine.process(4242, "wdavdaemon", [DAEMON], exe=DAEMON)
    host = machine.host(runner=Cli(json_output=json_sample()))
    result = checks.run(host, Settings.from_raw({}), list(agent.CHECKS))
    assert report.agent_digest(result) == {
        "installed": True,
        "app_version": "101.23062.0010",
        "release_ring": "InsiderFast",
        "product_expiration": "2024-04-10",
        "days_left": 100,
        "healthy": True,
        "licensed": True,
        "definitions_age_hours": 0.3,
        "mode": "passive",
        "daemon_running": True,
    }


def test_digest_of_an_unlicensed_real_run(machine, monkeypatch):

    monkeypatch.setattr(agent, "today", lambda: datetime.date(2024, 1, 1))
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.85.27"})
    host = machine.host(runner=plain_cli("plain-unlicensed-ubuntu-101.85.27-excerpt.txt"))
    result = checks.run(host, Settings.from_raw({}), list(agent.CHECKS))
    seen = report.agent_digest(result)
    assert seen["installed"] is True and seen["licensed"] is False and seen["healthy"] is False


def test_digest_without_agent_checks_has_no_agent_key():
    assert "agent" not in report.digest(make_result({"distro": "pass"}, facts=distro_facts()))
    assert report.agent_digest(NOT_INSTALLED)["installed"] is False


@pytest.mark.parametrize(
    ("check_id", "fact", "value", "key"),
    [
        ("agent_version", "app_version", ["x"], "app_version"),
        ("agent_version", "days_left", "5", "days_left"),
        ("agent_version", "days_left", True, "days_left"),
        ("agent_health", "licensed", "yes", "licensed"),
        ("agent_definitions", "age_hours", {"h": 1}, "definitions_age_hours"),
    ],
)
def test_values_of_the_wrong_type_are_dropped(check_id, fact, value, key):
    seen = report.agent_digest(agent_result(**{check_id: {fact: value}}))
    assert seen[key] is None


def test_strings_are_bounded_and_modes_known():
    seen = report.agent_digest(agent_result(agent_version={"app_version": "9" * 10_000}))
    assert len(seen["app_version"]) == report.MAX_TEXT
    assert report.agent_digest(agent_result(agent_protection={"mode": "evil"})) is None
    digest = report.digest(agent_result(agent_protection={"mode": "evil"}))
    assert "agent" not in digest  # dropped whole: the statuses still count


def test_cached_agent_digests_are_validated():
    good = report.agent_digest(agent_result())
    assert report._valid_agent(good) == good
    for bad in (None, [], {**good, "extra": 1}, {**good, "installed": "yes"}, {"installed": True}):
        assert report._valid_agent(bad) is None


def test_latest_keeps_the_newest_agent_facts_across_partial_runs():
    older = agent_result(build="101.25012.0001")
    newer = agent_result(build="101.25042.0003")
    partial = make_result({"disk": "pass"})
    records = report.latest(
        [
            ("web1", 1.0, report.observe(older), "job"),
            ("web1", 2.0, report.observe(newer), "job"),
            ("web1", 3.0, report.observe(partial), "job"),
        ]
    )
    assert records["web1"]["agent"]["app_version"] == "101.25042.0003"
    assert records["web1"]["checks"]["disk"] == "pass"


def test_stored_digests_keep_agent_facts():
    stored = report.store_update(None, agent_result(build="101.25012.0001"), 1.0)
    stored = report.store_update(stored, make_result({"disk": "pass"}), 2.0)
    records = report.latest(report.stored_observations("web1", stored))
    assert records["web1"]["agent"]["app_version"] == "101.25012.0001"
    stored = report.store_update(stored, agent_result(build="101.25042.0003"), 3.0)
    records = report.latest(report.stored_observations("web1", stored))
    assert records["web1"]["agent"]["app_version"] == "101.25042.0003"


def fleet():
    results = {
        "a1": agent_result(),
        "a2": agent_result(ring="InsiderFast", build="101.25052.0001"),
        "a3": agent_result(
            days_left=-10,
            statuses={"agent_health": "fail"},
            agent_health={"licensed": False, "healthy": False},
        ),
        "a4": agent_result(days_left=12, agent_protection={"mode": "passive"}),
        "a5": agent_result(
            statuses={"agent_definitions": "fail", "agent_service": "fail"},
            agent_service={"daemon_running": False},
        ),
        "b1": NOT_INSTALLED,
        "c1": make_result({"distro": "pass"}, facts=distro_facts()),
    }
    return report.latest(
        [(minion, 1.0, report.observe(result), "job") for minion, result in results.items()]
    )


def test_agent_view_counts():
    view = report.agent_view(fleet())
    assert set(view) == set(report.AGENT_VIEW_KEYS)
    assert (view["installed"], view["not_installed"], view["no_data"]) == (5, 1, 1)
    assert view["builds"] == {"101.25042.0003": 4, "101.25052.0001": 1}
    assert view["rings"] == {"Production": 4, "InsiderFast": 1}
    assert (view["healthy"], view["unhealthy"]) == (4, 1)
    assert (view["licensed"], view["unlicensed"]) == (4, 1)
    assert (view["expired"], view["expiring"]) == (1, 1)
    assert view["definitions_stale"] == 1
    assert view["modes"] == {"real_time": 4, "passive": 1}
    assert view["failing"] == {
        "agent_definitions": ["a5"],
        "agent_health": ["a3"],
        "agent_service": ["a5"],
        "agent_version": ["a3"],
    }


def test_csv_one_row_per_minion_with_stable_columns():
    records = fleet()
    records["=cmd|' /C calc'!A0"] = records.pop("c1")  # a hostile minion id: never a formula
    rows = list(csv.reader(io.StringIO(report.csv_text(records))))
    assert tuple(rows[0]) == report.CSV_COLUMNS
    assert len(rows) == 1 + len(records)
    by_minion = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert by_minion["a3"]["status"] == "notready"
    assert by_minion["a3"]["failing"] == "agent_health agent_version"
    assert by_minion["a3"]["licensed"] == "false"
    assert by_minion["a3"]["days_left"] == "-10"  # a number, as it is
    assert by_minion["b1"]["installed"] == "false" and by_minion["b1"]["app_version"] == ""
    assert by_minion["a1"]["time"] == "1970-01-01T00:00:01+00:00"
    assert "'=cmd|' /C calc'!A0" in by_minion
