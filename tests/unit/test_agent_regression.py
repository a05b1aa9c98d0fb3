"""The beacon's comparison on real runs of the agent checks (recorded public mdatp health
outputs, tests/unit/mdatp_health/): every agent regression the beacon fires on."""

import datetime

import pytest

from mdeprereq_engine import agent, checks, regression
from mdeprereq_engine.settings import Settings
from tests.unit.test_agent import DAEMON, Cli, json_sample, sample

WATCHED = list(agent.AGENT_CHECKS)


@pytest.fixture
def agent_machine(machine, monkeypatch):
    monkeypatch.setattr(agent, "today", lambda: datetime.date(2024, 1, 1))
    machine.os_release("ubuntu-22.04")
    machine.dpkg({"mdatp": "101.23062.0010"})
    machine.process(4242, "wdavdaemon", [DAEMON], exe=DAEMON)
    return machine


def run(machine, cli, settings=None):
    host = machine.host(runner=cli)
    return checks.run(host, settings or Settings.from_raw({"channel": "insiders-fast"}), WATCHED)


def regressions(machine, before, after, settings=None):
    previous = regression.snapshot(run(machine, before, settings))
    return regression.compare(previous, run(machine, after, settings))


def changed(found):
    return {(item["check"], item["old"], item["new"]) for item in found}


def test_nothing_changed(agent_machine):
    assert regressions(agent_machine, Cli(json_output=json_sample()),
                       Cli(json_output=json_sample())) == []  # fmt: skip


def test_service_stopped(agent_machine):
    previous = regression.snapshot(run(agent_machine, Cli(json_output=json_sample())))
    (agent_machine.proc / "4242").rename(agent_machine.proc / "gone")
    found = regression.compare(previous, run(agent_machine, Cli(no_daemon=True)))
    assert ("agent_service", "pass", "fail") in changed(found)
    service = next(item for item in found if item["check"] == "agent_service")
    assert service["fixable"] is True


def test_licence_and_health_lost(agent_machine):
    unlicensed = Cli(json_output=json_sample(licensed=False, healthy=False,
                                             healthIssues=["missing license"]))  # fmt: skip
    found = regressions(agent_machine, Cli(json_output=json_sample()), unlicensed)
    assert changed(found) == {("agent_health", "pass", "fail")}


def test_definitions_older_than_the_limit(agent_machine):
    old = Cli(json_output=json_sample(definitionsUpdatedMinutesAgo=49 * 60))
    found = regressions(agent_machine, Cli(json_output=json_sample()), old)
    assert changed(found) == {("agent_definitions", "pass", "fail")}


def test_a_new_conflicting_application(agent_machine):
    first = Cli(json_output=json_sample(conflictingApplications=["fapolicyd"]))
    second = Cli(json_output=json_sample(conflictingApplications=["fapolicyd", "falcon-sensor"]))
    assert changed(regressions(agent_machine, Cli(json_output=json_sample()), first)) == {
        ("agent_protection", "pass", "warn")
    }
    # already warning (passive beside fapolicyd): another one is still a regression
    assert changed(regressions(agent_machine, first, second)) == {
        ("agent_protection", "warn", "warn")
    }


def test_entering_the_expiry_window(agent_machine, monkeypatch):
    previous = regression.snapshot(run(agent_machine, Cli(json_output=json_sample())))
    monkeypatch.setattr(agent, "today", lambda: datetime.date(2024, 3, 20))
    found = regression.compare(previous, run(agent_machine, Cli(json_output=json_sample())))
    assert changed(found) == {("agent_version", "pass", "warn")}
    assert "in 21 day(s)" in found[0]["message"]


def test_service_back_is_no_regression(agent_machine):
    (agent_machine.proc / "4242").rename(agent_machine.proc / "gone")
    previous = regression.snapshot(run(agent_machine, Cli(no_daemon=True)))
    (agent_machine.proc / "gone").rename(agent_machine.proc / "4242")
    assert regression.compare(previous, run(agent_machine, Cli(json_output=json_sample()))) == []


def test_plain_sample_runs_too(agent_machine):
    cli = Cli(plain_output=sample("plain-ubuntu20.04-101.23062.0010.txt"))
    assert regressions(agent_machine, cli, cli, Settings.from_raw({})) == []
