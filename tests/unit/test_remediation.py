"""remediation: which events the reactor acts on, and the per-minion rate limit."""

import copy
import json

import pytest

from mdeprereq_engine import remediation
from mdeprereq_engine.remediation import (
    BUSY,
    GIVE_UP,
    REMEDIATE,
    SUPPRESSED,
    InvalidEvent,
    RemediationSettings,
    SettingsError,
)
from tests.unit.results import make_result

NOT_READY = make_result(
    {"distro": "pass", "mdatp_user": "fail", "systemd": "fail"}, fixable={"mdatp_user"}
)
READY = make_result({"distro": "pass", "mdatp_user": "pass"})


JID = "20261201120000123456"


# -- tags, ids and jobs --------------------------------------------------------------------------
def test_tags():
    assert remediation.check_tag(False, "web1") == "mdeprereq/check/notready/web1"
    assert remediation.check_tag(True, "web1") == "mdeprereq/check/ready/web1"
    assert remediation.remediation_tag("gave_up", "web1") == "mdeprereq/remediation/gave_up/web1"
    assert remediation.parse_return_tag(f"salt/job/{JID}/ret/a.b-c") == (JID, "a.b-c")


@pytest.mark.parametrize(
    "tag",
    [
        None,
        42,
        "salt/beacon/web1/mdeprereq/regressed",
        "mdeprereq/check/notready/web1",
        f"salt/job/{JID}/ret/",
        f"salt/job/{JID}/new",
        "salt/job/123/ret/web1",
        "salt/job/../../ret/web1",
        f"salt/job/{JID}/ret/../../../minions/web2/data",
        f"salt/job/{JID}/ret/..",
        f"salt/job/{JID}/ret/we\\b1",
        f"salt/job/{JID}/ret/web\x001",
        f"salt/job/{JID}/ret/web\n1",
        f"salt/job/{JID}/ret/" + "w" * 300,
    ],
)
def test_other_tags_and_bad_ids_are_refused(tag):
    with pytest.raises(InvalidEvent):
        remediation.parse_return_tag(tag)


def test_which_jobs_the_reactor_acts_on():
    scheduled = {"fun": "mdeprereq.check", "schedule": "mdeprereq-check", "jid": JID}
    asked = {"fun": "mdeprereq.check", "arg": [{"fire_event": True, "__kwarg__": True}]}
    on_cli = {"fun": "mdeprereq.check", "arg": ["checks=mdatp_user", "fire_event=True"]}
    assert all(map(remediation.acts_on, (scheduled, asked, on_cli)))
    # the runner's own confirming checks, other functions, nothing
    own = {"fun": "mdeprereq.check", "arg": [{"checks": "mdatp_user", "__kwarg__": True}]}
    other = {"fun": "test.ping", "schedule": "x"}
    assert not any(map(remediation.acts_on, (own, other, None, "mdeprereq.check", {})))


def test_a_job_is_taken_once():
    record, new = remediation.take_job(None, JID)
    assert new and record["jobs"] == [JID]
    assert remediation.take_job(record, JID) == (record, False)
    # an older jid is a job too (a minion's clock may be behind the master's)
    older, new = remediation.take_job(record, "20261201110000000000")
    assert new and older["jobs"] == [JID, "20261201110000000000"]
    # bounded
    for number in range(200):
        record, _ = remediation.take_job(record, f"2026120112{number:010d}")
    assert len(record["jobs"]) == remediation.KEPT_JOBS


def test_short_is_one_bounded_line():
    assert len(remediation.short("x" * 10**6)) == 120
    assert "\n" not in remediation.short("a\nb\x1b[31m")
    assert remediation.short({"a": [1] * 10**5}) == "<dict of 1>"


def _broken(change):
    payload = copy.deepcopy(NOT_READY)
    change(payload)
    return payload


MALFORMED = {
    "not a mapping": ("w", "not ready"),
    "a list": ("w", [NOT_READY]),
    "no checks": ("w", _broken(lambda p: p.pop("checks"))),
    "no summary": ("w", _broken(lambda p: p.pop("summary"))),
    "ready not a bool": ("w", _broken(lambda p: p.update(ready="false"))),
    "empty checks": (
        "w",
        _broken(lambda p: p.update(checks={}, summary=dict.fromkeys(p["summary"], 0))),
    ),
    "unknown status": ("w", _broken(lambda p: p["checks"]["distro"].update(status="great"))),
    "fixable not a bool": ("w", _broken(lambda p: p["checks"]["mdatp_user"].update(fixable="yes"))),
    "entry lacks facts": ("w", _broken(lambda p: p["checks"]["distro"].pop("facts"))),
    "entry not a mapping": ("w", _broken(lambda p: p["checks"].update(distro="pass"))),
    "message not text": ("w", _broken(lambda p: p["checks"]["distro"].update(message=None))),
    "bad check id": ("w", _broken(lambda p: p["checks"].update({"../x": p["checks"]["distro"]}))),
    "summary lies": ("w", _broken(lambda p: p["summary"].update({"fail": 0, "pass": 3}))),
    "ready lies": ("w", _broken(lambda p: p.update(ready=True))),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_results_are_refused(case):
    _, payload = MALFORMED[case]
    if payload is None:
        pytest.skip("an envelope case: only the tag and the job cache count now")
    with pytest.raises(InvalidEvent):
        remediation.validate_result(payload)


def test_valid_results_and_extra_keys_pass():
    remediation.validate_result(NOT_READY)
    remediation.validate_result(READY)
    remediation.validate_result({**NOT_READY, "grains": {"os": "Debian"}})


# -- settings ------------------------------------------------------------------------------------
def test_settings_defaults_and_values():
    assert RemediationSettings.from_raw(None) == RemediationSettings(3, 3600.0)
    assert RemediationSettings.from_raw({}) == RemediationSettings(3, 3600.0)
    assert RemediationSettings.from_raw({"max_attempts": 1, "window": 60}) == (
        RemediationSettings(1, 60.0)
    )


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": "3"}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"max_attempts": 2.5}, "max_attempts"),
        ({"window": 0}, "window"),
        ({"window": "1h"}, "window"),
        ({"window": -5}, "window"),
        ({"windw": 60}, "windw"),
        ([3, 3600], "mdeprereq:remediation"),
    ],
)
def test_malformed_settings_name_the_key(raw, key):
    with pytest.raises(SettingsError, match=key):
        RemediationSettings.from_raw(raw)


# -- the rate limit ------------------------------------------------------------------------------
SETTINGS = RemediationSettings(max_attempts=2, window=100)


def test_attempts_then_give_up_once_then_silence():
    record, t = None, 1000.0
    first = remediation.decide(record, t, SETTINGS)
    assert (first.action, first.attempts) == (REMEDIATE, 0)
    assert first.record["in_progress"] == t
    record = remediation.finish(first.record, t + 1, fixed=False)
    assert record["attempts"] == [t] and record["in_progress"] is None
    assert record["last"] == {"outcome": "failed", "time": t + 1}

    second = remediation.decide(record, t + 10, SETTINGS)
    assert (second.action, second.attempts) == (REMEDIATE, 1)
    record = remediation.finish(second.record, t + 11, fixed=False)
    assert record["attempts"] == [t, t + 10]

    third = remediation.decide(record, t + 20, SETTINGS)
    assert third.action == GIVE_UP
    assert "2 failed remediation(s)" in third.reason
    record = third.record
    assert record["gave_up"] == t + 20 and record["last"]["outcome"] == "gave_up"

    for later in (t + 21, t + 50, t + 119):
        quiet = remediation.decide(record, later, SETTINGS)
        assert quiet.action == SUPPRESSED, later
        record = quiet.record

    # a window after giving up (and after the attempts), it tries again
    again = remediation.decide(record, t + 121, SETTINGS)
    assert (again.action, again.attempts) == (REMEDIATE, 0)
    assert again.record["gave_up"] is None


def test_old_attempts_fall_out_of_the_window():
    record = {"attempts": [0.0, 50.0], "gave_up": None, "in_progress": None, "last": None}
    decision = remediation.decide(record, 120.0, SETTINGS)
    assert (decision.action, decision.attempts) == (REMEDIATE, 1)
    assert decision.record["attempts"] == [50.0]


def test_a_fix_clears_the_attempts():
    decision = remediation.decide({"attempts": [10.0]}, 20.0, SETTINGS)
    record = remediation.finish(decision.record, 25.0, fixed=True)
    assert record["attempts"] == [] and record["gave_up"] is None
    assert record["last"] == {"outcome": "fixed", "time": 25.0}


def test_a_running_remediation_makes_it_busy_until_stale():
    started = remediation.decide(None, 100.0, SETTINGS).record
    assert remediation.decide(started, 101.0, SETTINGS).action == BUSY
    stale = remediation.decide(started, 100.0 + remediation.DEFAULT_STALE_AFTER + 1, SETTINGS)
    assert stale.action == REMEDIATE


def test_release_ends_a_remediation_without_counting_it():
    started = remediation.decide(None, 100.0, SETTINGS).record
    released = remediation.release(started)
    assert released["in_progress"] is None and released["attempts"] == []


def test_reset_forgets_attempts_and_giving_up():
    record = {"attempts": [1.0, 2.0], "gave_up": 3.0, "last": {"outcome": "gave_up", "time": 3.0}}
    reset = remediation.reset(record)
    assert reset["attempts"] == [] and reset["gave_up"] is None
    assert reset["last"]["outcome"] == "gave_up"  # kept for the report


def test_records_are_json_and_survive_garbage():
    record = remediation.decide("garbage", 5.0, SETTINGS).record
    assert json.loads(json.dumps(record)) == record
    mixed = {"attempts": [1.0, "x", None], "gave_up": "soon", "in_progress": [], "last": 3}
    decision = remediation.decide(mixed, 10.0, SETTINGS)
    assert decision.action == REMEDIATE and decision.record["attempts"] == [1.0]


def test_max_attempts_of_one():
    settings = RemediationSettings(max_attempts=1, window=100)
    record = remediation.finish(remediation.decide(None, 0.0, settings).record, 1.0, fixed=False)
    assert remediation.decide(record, 2.0, settings).action == GIVE_UP


# -- fixed ---------------------------------------------------------------------------------------
def test_fixed_means_none_of_the_checks_fails_any_more():
    after = make_result({"mdatp_user": "pass", "systemd": "fail"})
    assert remediation.fixed(after, ["mdatp_user"]) is True
    assert remediation.fixed(after, ["mdatp_user", "systemd"]) is False
    assert remediation.fixed(after, ["dependencies"]) is False  # not re-checked: not fixed
    assert remediation.fixed(None, ["mdatp_user"]) is False
    assert remediation.fixed("error", ["mdatp_user"]) is False
