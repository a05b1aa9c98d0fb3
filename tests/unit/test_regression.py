"""regression: what the beacon reports as worse than last time, and its configuration."""

import json

import pytest

from mdeprereq_engine import regression
from mdeprereq_engine.regression import BeaconConfigError
from tests.unit.results import make_result

NOLOGIN = "/usr/sbin/nologin"


def user_facts(shell=NOLOGIN, uid=1500):
    return {"user": {"uid": uid, "gid": uid, "home": "/home/mdatp", "shell": shell}}


def fanotify_facts(*holders):
    return {
        "holders": [
            {"comm": name, "exe": f"/usr/sbin/{name}", "blocking": True} for name in holders
        ]
    }


def run(statuses, facts=None):
    return make_result(statuses, facts=facts)


BASELINE = run(
    {"fanotify": "pass", "disk": "pass", "mdatp_user": "pass"},
    facts={"mdatp_user": user_facts()},
)


def test_the_first_run_only_records():
    assert regression.compare(None, BASELINE) == []
    assert regression.compare({}, BASELINE) == []


def test_nothing_changed_nothing_fired():
    assert regression.compare(regression.snapshot(BASELINE), BASELINE) == []


def test_fapolicyd_starting_is_a_regression():
    now = run(
        {"fanotify": "fail", "disk": "pass", "mdatp_user": "pass"},
        facts={"fanotify": fanotify_facts("fapolicyd"), "mdatp_user": user_facts()},
    )
    (found,) = regression.compare(regression.snapshot(BASELINE), now)
    assert found["check"] == "fanotify"
    assert (found["old"], found["new"]) == ("pass", "fail")
    assert found["message"] == now["checks"]["fanotify"]["message"]
    assert found["remediation"] == "Apply the fix."


def test_disk_dropping_below_the_minimum_is_a_regression():
    now = run({"fanotify": "pass", "disk": "fail", "mdatp_user": "pass"})
    assert [r["check"] for r in regression.compare(regression.snapshot(BASELINE), now)] == ["disk"]


def test_the_mdatp_users_shell_changing():
    bash = make_result(
        {"fanotify": "pass", "disk": "pass", "mdatp_user": "fail"},
        fixable={"mdatp_user"},
        facts={"mdatp_user": user_facts("/bin/bash")},
    )
    (found,) = regression.compare(regression.snapshot(BASELINE), bash)
    assert (found["check"], found["fixable"]) == ("mdatp_user", True)
    # failing already (bash), the shell changes again (sh): still a regression
    sh = make_result(
        {"fanotify": "pass", "disk": "pass", "mdatp_user": "fail"},
        facts={"mdatp_user": user_facts("/bin/sh")},
    )
    assert [r["check"] for r in regression.compare(regression.snapshot(bash), sh)] == ["mdatp_user"]
    # failing the same way as before: nothing new
    assert regression.compare(regression.snapshot(sh), sh) == []


def test_another_blocking_holder_while_failing_is_a_regression():
    one = run({"fanotify": "fail"}, facts={"fanotify": fanotify_facts("fapolicyd")})
    two = run({"fanotify": "fail"}, facts={"fanotify": fanotify_facts("fapolicyd", "othersec")})
    assert [r["check"] for r in regression.compare(regression.snapshot(one), two)] == ["fanotify"]
    # fapolicyd restarting (another pid, same program) is not
    assert regression.compare(regression.snapshot(one), one) == []


@pytest.mark.parametrize(
    ("old", "new", "regressed"),
    [
        ("pass", "warn", True),
        ("pass", "fail", True),
        ("warn", "fail", True),
        ("skip", "fail", True),
        ("skip", "warn", True),
        ("pass", "skip", False),
        ("fail", "pass", False),
        ("warn", "pass", False),
        ("fail", "warn", False),
    ],
)
def test_status_ranks(old, new, regressed):
    previous = regression.snapshot(run({"disk": old}))
    assert bool(regression.compare(previous, run({"disk": new}))) is regressed


def test_checks_new_since_last_time_are_not_regressions():
    previous = regression.snapshot(run({"disk": "pass"}))
    assert regression.compare(previous, run({"disk": "pass", "fanotify": "fail"})) == []


def test_snapshot_is_small_and_json():
    snapshot = regression.snapshot(BASELINE)
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["mdatp_user"] == {
        "status": "pass",
        "watched": {"shell": NOLOGIN, "uid": 1500, "gid": 1500},
    }
    assert snapshot["disk"] == {"status": "pass", "watched": None}


def test_a_garbled_previous_snapshot_is_ignored():
    assert regression.compare({"disk": "pass", "fanotify": {"status": "odd"}}, BASELINE) == []


# -- configuration -------------------------------------------------------------------------------
def test_config_defaults():
    assert regression.beacon_config(None) == {
        "checks": [
            "fanotify",
            "disk",
            "mdatp_user",
            "agent_service",
            "agent_health",
            "agent_version",
            "agent_definitions",
            "agent_protection",
        ],
        "remediate": True,
    }
    assert regression.beacon_config([{"interval": 300}]) == regression.beacon_config({})


def test_config_from_salts_list_of_mappings():
    config = [
        {"interval": 60},
        {"checks": ["disk", "kernel"]},
        {"remediate": False},
        {"_beacon_name": "mdeprereq"},  # Salt adds it
    ]
    assert regression.beacon_config(config) == {"checks": ["disk", "kernel"], "remediate": False}
    assert regression.beacon_config({"checks": "disk,fanotify"})["checks"] == ["disk", "fanotify"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([{"checks": ["disk", "nope"]}], "unknown check"),
        ([{"remediate": "yes"}], "remediate must be true or false"),
        ([{"check": ["disk"]}], "unknown option"),
        (["disk"], "must be a mapping"),
        ("disk", "list of mappings"),
        ([{"checks": 5}], "list of check IDs"),
    ],
)
def test_bad_config_is_refused(config, message):
    with pytest.raises(BeaconConfigError, match=message):
        regression.beacon_config(config)
