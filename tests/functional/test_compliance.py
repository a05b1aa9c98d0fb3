"""Continuous compliance through Salt's loader, without daemons: the mdeprereq runner (its
minions faked at LocalClient), the beacon (its checks faked at __salt__), the outputter, and the
mde.schedule / mde.remediate states rendered."""

import copy
import json
import os
import re
import shutil
import time

import pytest
import salt.cache
import salt.client
import salt.exceptions
import salt.loader
import salt.template
import salt.utils.jid
from saltfactories.utils import random_string

from tests.conftest import REPO_ROOT
from tests.functional.conftest import show_sls, state_args
from tests.unit.results import make_result as result

MINION = "web1"


USER_FAILS = result({"mdatp_user": "fail"}, fixable={"mdatp_user"})
USER_PASSES = result({"mdatp_user": "pass"})


ACCEPTED = {MINION, "web2", "db1", *(f"m{number:03d}" for number in range(200))}
FIRE_EVENT = [{"fire_event": True, "__kwarg__": True}]
_JIDS = iter(range(10**6))


def job(runners, minion, payload, arg=FIRE_EVENT, fun="mdeprereq.check"):
    """A ``mdeprereq.check fire_event=True`` job in the master's job cache with ``minion``'s
    return (as the master writes an authenticated return); the tag of its return event."""
    opts = runners["mdeprereq.remediate"].__globals__["__opts__"]
    jid = str(int(salt.utils.jid.gen_jid(opts)) + next(_JIDS))
    save_job(opts, jid, {minion: payload}, fun=fun, arg=arg)
    return f"salt/job/{jid}/ret/{minion}"


# -- the runner ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def master_opts(salt_factories, tmp_path_factory):
    factory = salt_factories.salt_master_daemon(
        random_string("functional-master-"),
        overrides={
            "module_dirs": [str(REPO_ROOT)],
            "mdeprereq": {"remediation": {"max_attempts": 2, "window": 600}},
        },
    )
    return factory.config.copy()


@pytest.fixture
def runners(master_opts, tmp_path):
    opts = copy.deepcopy(master_opts)
    opts["cachedir"] = str(tmp_path / "cache")  # a fresh cache per test
    (tmp_path / "cache").mkdir()
    return salt.loader.runner(opts, utils=salt.loader.utils(opts))


class FakeLocalClient:
    """LocalClient whose minions answer from a script: ``answers[fun]`` is a list of returns
    (None: the minion does not answer), used in turn."""

    calls = []
    answers = {}

    def __init__(self, *args, **kwargs):
        pass

    def cmd(
        self, tgt, fun, *, arg=(), kwarg=None, tgt_type="glob", timeout=None, full_return=False
    ):
        type(self).calls.append({"tgt": tgt, "fun": fun, "arg": list(arg), "kwarg": kwarg or {}})
        assert tgt_type == "list" and full_return
        answer = type(self).answers[fun].pop(0)
        if answer is None:
            return {}
        return {minion: {"ret": copy.deepcopy(answer), "retcode": 0} for minion in tgt}

    def destroy(self):
        pass


@pytest.fixture
def minions(monkeypatch, runners):
    FakeLocalClient.calls = []
    FakeLocalClient.answers = {}
    monkeypatch.setattr(salt.client, "LocalClient", FakeLocalClient)
    fired = []
    monkeypatch.setitem(
        runners["mdeprereq.remediate"].__globals__, "_fire", lambda tag, data: fired.append(tag)
    )
    FakeLocalClient.fired = fired
    runner_globals = runners["mdeprereq.remediate"].__globals__
    monkeypatch.setitem(runner_globals, "_accepted_minions", lambda: ACCEPTED)
    monkeypatch.setitem(runner_globals, "JOB_CACHE_WAIT", 0.3)
    return FakeLocalClient


STATE_OK = {"mdeprereq_|-mde-prereqs-user-present_|-mdatp_|-user_present": {"result": True}}
STATE_FAILED = {
    "mdeprereq_|-mde-prereqs-user-present_|-mdatp_|-user_present": {
        "result": False,
        "changes": {},
    }
}


def test_a_fixable_failure_is_confirmed_fixed_and_rechecked(runners, minions):
    minions.answers = {
        "mdeprereq.check": [USER_FAILS, USER_PASSES],
        "state.apply": [STATE_OK],
    }
    ret = runners["mdeprereq.remediate"](job(runners, MINION, USER_FAILS))
    assert ret["action"] == "fixed", ret
    assert ret["after"] == {"mdatp_user": "pass"}
    assert [(c["tgt"], c["fun"], c["arg"], c["kwarg"]) for c in minions.calls] == [
        ([MINION], "mdeprereq.check", [], {"checks": "mdatp_user"}),
        ([MINION], "state.apply", ["mde.remediate"], {}),
        ([MINION], "mdeprereq.check", [], {"checks": "mdatp_user"}),
    ]
    assert minions.fired == [f"mdeprereq/remediation/fixed/{MINION}"]


def test_a_recheck_that_leaves_out_a_check_is_not_fixed(runners, minions):
    """A minion whose re-check answers without the check it was asked about (a valid result,
    only not the one asked for) gets no "fixed", and the runner does not crash on it."""
    minions.answers = {
        "mdeprereq.check": [USER_FAILS, result({"distro": "pass"})],
        "state.apply": [STATE_OK],
    }
    ret = runners["mdeprereq.remediate"](job(runners, MINION, USER_FAILS))
    assert ret["action"] != "fixed", ret
    assert ret["after"] == {"mdatp_user": None}
    assert minions.fired != [f"mdeprereq/remediation/fixed/{MINION}"]


def test_the_payload_never_chooses_the_target(runners, minions):
    # a tag naming db1 for a job that holds only web1's return: no return of db1, nothing done
    forged = job(runners, MINION, USER_FAILS).replace(f"/ret/{MINION}", "/ret/db1")
    ret = runners["mdeprereq.remediate"](forged)
    assert ret["action"] == "ignored" and "no return of db1" in ret["reason"], ret
    assert minions.calls == []
    payload = {**USER_FAILS, "id": "db1", "tgt": "*"}
    minions.answers = {"mdeprereq.check": [USER_PASSES]}
    ret = runners["mdeprereq.remediate"](job(runners, MINION, payload))
    assert ret["action"] == "nothing_to_fix"
    assert {c["tgt"][0] for c in minions.calls} == {MINION}


@pytest.mark.parametrize(
    "case",
    [
        "event tag",
        "not a result",
        "malformed result",
        "another function",
        "the runner's own check",
        "traversal id",
        "unaccepted minion",
        "replayed job",
    ],
)
def test_malformed_hints_are_ignored(runners, minions, case):
    remediate = runners["mdeprereq.remediate"]
    tag = {
        "event tag": lambda: f"mdeprereq/check/notready/{MINION}",
        "not a result": lambda: job(runners, MINION, "broken"),
        "malformed result": lambda: job(runners, MINION, {**USER_FAILS, "ready": "no"}),
        "another function": lambda: job(runners, MINION, USER_FAILS, fun="test.ping"),
        "the runner's own check": lambda: job(
            runners, MINION, USER_FAILS, arg=[{"checks": "mdatp_user", "__kwarg__": True}]
        ),
        "traversal id": lambda: job(runners, MINION, USER_FAILS).replace(
            f"/ret/{MINION}", "/ret/../../minions/web2"
        ),
        "unaccepted minion": lambda: job(runners, "stranger", USER_FAILS),
        "replayed job": lambda: job(runners, MINION, result({"distro": "pass"})),
    }[case]()
    if case == "replayed job":
        assert remediate(tag)["action"] == "recorded"
    ret = remediate(tag)
    assert ret["action"] == "ignored", ret
    assert minions.calls == [] and minions.fired == []


def test_nothing_fixable_and_ready_events_change_nothing(runners, minions):
    unfixable = result({"systemd": "fail", "distro": "pass"})
    assert (
        runners["mdeprereq.remediate"](job(runners, MINION, unfixable))["action"]
        == "nothing_fixable"
    )
    ready = runners["mdeprereq.remediate"](job(runners, MINION, USER_PASSES))
    assert ready["action"] == "recorded"
    assert minions.calls == []


def test_the_rate_limit_counts_failed_attempts_only(runners, minions):
    remediate = runners["mdeprereq.remediate"]
    # the minion says it is fine by now: no attempt is counted
    minions.answers = {"mdeprereq.check": [USER_PASSES]}
    assert remediate(job(runners, MINION, USER_FAILS))["action"] == "nothing_to_fix"
    # two failed attempts (the second: the minion does not even answer) ...
    minions.answers = {
        "mdeprereq.check": [USER_FAILS, USER_FAILS, None],
        "state.apply": [STATE_FAILED],
    }
    first = remediate(job(runners, MINION, USER_FAILS))
    assert (first["action"], first["attempt"], first["states_succeeded"]) == ("failed", 1, False)
    second = remediate(job(runners, MINION, USER_FAILS))
    assert (second["action"], second["attempt"]) == ("failed", 2)
    assert "did not confirm" in second["reason"]
    # ... then gave_up once, then silence
    calls = len(minions.calls)
    assert remediate(job(runners, MINION, USER_FAILS))["action"] == "gave_up"
    assert remediate(job(runners, MINION, USER_FAILS))["action"] == "suppressed"
    assert len(minions.calls) == calls
    assert minions.fired == [
        f"mdeprereq/remediation/failed/{MINION}",
        f"mdeprereq/remediation/failed/{MINION}",
        f"mdeprereq/remediation/gave_up/{MINION}",
    ]
    # an admin resets it
    assert runners["mdeprereq.reset"]("web*") == [MINION]
    minions.answers = {"mdeprereq.check": [USER_FAILS, USER_PASSES], "state.apply": [STATE_OK]}
    assert remediate(job(runners, MINION, USER_FAILS))["action"] == "fixed"


def test_a_state_run_that_raises_still_counts(runners, minions):
    minions.answers = {"mdeprereq.check": [USER_FAILS], "state.apply": []}  # IndexError
    with pytest.raises(IndexError):
        runners["mdeprereq.remediate"](job(runners, MINION, USER_FAILS))
    cache = salt.cache.factory(runners["mdeprereq.remediate"].__globals__["__opts__"])
    record = cache.fetch("mdeprereq/remediation", MINION)
    assert len(record["attempts"]) == 1 and record["in_progress"] is None


def test_malformed_settings_are_an_error(master_opts, tmp_path, minions):
    opts = copy.deepcopy(master_opts)
    opts.update(cachedir=str(tmp_path), mdeprereq={"remediation": {"max_attempts": 0}})
    runners = salt.loader.runner(opts, utils=salt.loader.utils(opts))
    with pytest.raises(salt.exceptions.SaltInvocationError, match="max_attempts"):
        runners["mdeprereq.remediate"](job(runners, MINION, USER_FAILS))
    assert minions.calls == []


def test_report_from_events_and_the_job_cache(runners, minions):
    remediate = runners["mdeprereq.remediate"]
    debian = {"distro": {"id": "debian", "version": "12"}}
    remediate(job(runners, MINION, result({"distro": "pass", "mdatp_user": "pass"}, facts=debian)))
    remediate(job(runners, "web2", result({"distro": "pass", "systemd": "fail"}, facts=debian)))
    # a job in the master's job cache: db1's full check, and an error from old1
    opts = runners["mdeprereq.report"].__globals__["__opts__"]
    returners = salt.loader.returners(opts, {})
    jid = salt.utils.jid.gen_jid(opts)
    returners["local_cache.prep_jid"](passed_jid=jid)
    returners["local_cache.save_load"](
        jid, {"fun": "mdeprereq.check", "arg": [], "tgt": "*", "tgt_type": "glob", "jid": jid}
    )
    rhel = {"distro": {"id": "rhel", "version": "9.4"}}
    for minion, ret in (
        ("db1", result({"distro": "pass", "disk": "fail"}, facts=rhel)),
        ("old1", "'mdeprereq.check' is not available."),
    ):
        returners["local_cache.returner"](
            {"jid": jid, "id": minion, "fun": "mdeprereq.check", "return": ret, "retcode": 0}
        )

    wrapped = runners["mdeprereq.report"]()
    assert wrapped["outputter"] == "mdeprereq"
    data = wrapped["data"]
    assert (data["total"], data["ready"], data["notready"], data["unknown"]) == (4, 1, 2, 1)
    assert data["failing"] == {"disk": ["db1"], "systemd": ["web2"]}
    assert data["distros"]["debian 12"]["total"] == 2
    assert data["minions"]["db1"]["source"] == "job"
    # web2's result is in the job cache and in what the runner kept: either source may show it
    assert data["minions"]["web2"]["source"] in ("job", "event")
    # by default a row for each minion that needs attention; show=all adds the ready ones
    assert set(data["minions"]) == {"web2", "db1", "old1"}
    assert set(runners["mdeprereq.report"](show="all")["data"]["minions"]) == {
        MINION,
        "web2",
        "db1",
        "old1",
    }
    events_only = runners["mdeprereq.report"](source="events", show="all")["data"]
    assert set(events_only["minions"]) == {MINION, "web2"}
    jobs_only = runners["mdeprereq.report"](source="jobs", show="all")["data"]
    assert set(jobs_only["minions"]) == {MINION, "web2", "db1", "old1"}
    with pytest.raises(salt.exceptions.SaltInvocationError, match="source"):
        runners["mdeprereq.report"](source="everything")
    with pytest.raises(salt.exceptions.SaltInvocationError, match="show"):
        runners["mdeprereq.report"](show="ready")


def save_job(opts, jid, returns, fun="mdeprereq.check", arg=()):
    """A job in the master's job cache (Salt's local_cache), as the master writes it: the load,
    then one return per minion."""
    returners = salt.loader.returners(opts, {})
    returners["local_cache.prep_jid"](passed_jid=jid)
    returners["local_cache.save_load"](
        jid, {"fun": fun, "arg": list(arg), "tgt": "*", "tgt_type": "glob", "jid": jid}
    )
    for minion, ret in returns.items():
        returners["local_cache.returner"](
            {"jid": jid, "id": minion, "fun": fun, "return": ret, "retcode": 0}
        )
    return returners


def test_report_reads_each_job_load_once(runners, minions):
    """Salt's get_jids reads every job's load at every call; the report reads a load once and
    remembers the job's function (a runner's load holds its whole return)."""
    report = runners["mdeprereq.report"]
    opts = report.__globals__["__opts__"]
    cache = salt.cache.factory(opts)
    debian = {"distro": {"id": "debian", "version": "12"}}
    check_jid = salt.utils.jid.gen_jid(opts)
    save_job(opts, check_jid, {"db1": result({"distro": "pass"}, facts=debian)})
    ping_jid = str(int(check_jid) + 1)
    save_job(opts, ping_jid, {"db1": True}, fun="test.ping")
    assert set(report(source="jobs", show="all")["data"]["minions"]) == {"db1"}
    index = cache.fetch("mdeprereq/joblist", "local_cache")
    assert sorted(index.values()) == [[check_jid, "mdeprereq.check"], [ping_jid, "test.ping"]]
    jobs = os.path.join(opts["cachedir"], "jobs")
    ping_dir = salt.utils.jid.jid_dir(ping_jid, jobs, opts["hash_type"])
    with open(os.path.join(ping_dir, ".load.p"), "wb") as handle:
        handle.write(b"\xc1 not msgpack")  # read again, this would be skipped, not test.ping
    assert set(report(source="jobs", show="all")["data"]["minions"]) == {"db1"}
    assert [ping_jid, "test.ping"] in cache.fetch("mdeprereq/joblist", "local_cache").values()
    # a job being written (no load yet) is not remembered; a job gone is forgotten
    half_written = salt.utils.jid.jid_dir(str(int(check_jid) + 2), jobs, opts["hash_type"])
    os.makedirs(half_written)
    shutil.rmtree(ping_dir)
    report(source="jobs")
    index = cache.fetch("mdeprereq/joblist", "local_cache")
    assert sorted(index.values()) == [[check_jid, "mdeprereq.check"]]


def test_report_reads_a_settled_job_once(runners, minions):
    report = runners["mdeprereq.report"]
    opts = report.__globals__["__opts__"]
    cache = salt.cache.factory(opts)
    debian = {"distro": {"id": "debian", "version": "12"}}
    # a jid is the master's local time, YYYYmmddHHMMSSffffff: a job that ran two hours ago
    two_hours_ago = time.strftime("%Y%m%d%H%M%S", time.localtime(time.time() - 7200)) + "000000"
    save_job(opts, two_hours_ago, {"db1": result({"distro": "pass", "disk": "fail"}, facts=debian)})
    fresh = salt.utils.jid.gen_jid(opts)
    returners = save_job(opts, fresh, {"db2": result({"distro": "pass"}, facts=debian)})

    data = report(source="jobs", show="all")["data"]
    assert set(data["minions"]) == {"db1", "db2"}
    assert data["failing"] == {"disk": ["db1"]}
    # the settled job's digests are kept; the fresh one (within mdeprereq:report:settle) is not
    assert cache.list("mdeprereq/jobs") == [two_hours_ago]
    assert cache.fetch("mdeprereq/jobs", two_hours_ago) == {
        "db1": {"checks": {"distro": "pass", "disk": "fail"}, "distro": "debian 12"}
    }
    # proof that the settled job is not read again: its return on disk changes, the report not
    job_dir = salt.utils.jid.jid_dir(
        two_hours_ago, os.path.join(opts["cachedir"], "jobs"), opts["hash_type"]
    )
    os.remove(os.path.join(job_dir, "db1", "return.p"))
    # ... while the fresh job is: a late return shows at once
    returners["local_cache.returner"](
        {"jid": fresh, "id": "db3", "fun": "mdeprereq.check", "return": "late", "retcode": 1}
    )
    data = report(source="jobs", show="all")["data"]
    assert set(data["minions"]) == {"db1", "db2", "db3"}
    assert data["minions"]["db1"]["failing"] == ["disk"]
    # a job gone from the job cache (keep_jobs_seconds) takes its digests with it
    shutil.rmtree(job_dir)
    assert set(report(source="jobs", show="all")["data"]["minions"]) == {"db2", "db3"}
    assert cache.list("mdeprereq/jobs") == []


def test_report_refuses_a_bad_settle_setting(master_opts, tmp_path):
    opts = copy.deepcopy(master_opts)
    opts.update(cachedir=str(tmp_path), mdeprereq={"report": {"settle": "soon"}})
    runners = salt.loader.runner(opts, utils=salt.loader.utils(opts))
    with pytest.raises(salt.exceptions.SaltInvocationError, match="mdeprereq:report:settle"):
        runners["mdeprereq.report"](source="jobs")
    assert runners["mdeprereq.report"](source="events")["data"]["total"] == 0


def test_report_events_are_kept_in_shards(runners, minions):
    remediate = runners["mdeprereq.remediate"]
    opts = remediate.__globals__["__opts__"]
    for number in range(200):
        remediate(job(runners, f"m{number:03d}", result({"distro": "pass", "disk": "pass"})))
    remediate(job(runners, "m007", result({"disk": "fail"})))  # a partial, later result
    cache = salt.cache.factory(opts)
    shards = cache.list("mdeprereq/fleet")
    assert 40 < len(shards) <= 64  # 200 minions over 64 shards, not 200 entries
    data = runners["mdeprereq.report"](source="events")["data"]
    assert (data["total"], data["notready"]) == (200, 1)
    assert data["minions"]["m007"]["failing"] == ["disk"]


# -- the beacon ----------------------------------------------------------------------------------
class FakeMinion:
    """``__salt__`` for the beacon: mdeprereq.check answers from a script."""

    def __init__(self):
        self.results = []
        self.sent = []

    def functions(self):
        return {
            "mdeprereq.check": lambda checks=None: self.results.pop(0),
            "event.send": lambda tag, data: self.sent.append((tag, data)),
            "event.fire": lambda data, tag: self.sent.append((tag, data)),
        }


@pytest.fixture
def beacon_loader(loaders, tmp_path):
    opts = dict(loaders.opts)
    opts["cachedir"] = str(tmp_path)
    minion = FakeMinion()

    def load():
        return salt.loader.beacons(opts, minion.functions())

    return minion, load


FANOTIFY_PASSES = result({"fanotify": "pass", "disk": "pass"})
FAPOLICYD = result(
    {"fanotify": "fail", "disk": "pass"},
    fixable={"fanotify"},
    facts={
        "fanotify": {
            "holders": [{"comm": "fapolicyd", "exe": "/usr/sbin/fapolicyd", "blocking": True}]
        }
    },
)


def test_beacon_fires_on_a_regression_and_runs_the_scheduled_check(beacon_loader):
    minion, load = beacon_loader
    beacons = load()
    opts = beacons["mdeprereq.beacon"].__globals__["__opts__"]
    opts["schedule"] = {"mdeprereq-check": {"function": "mdeprereq.check", "hours": 6}}
    config = [{"checks": ["fanotify", "disk"]}, {"_beacon_name": "mdeprereq"}]
    assert beacons["mdeprereq.validate"](config) == (True, "Valid beacon configuration")
    minion.results = [FANOTIFY_PASSES, FANOTIFY_PASSES, FAPOLICYD, FAPOLICYD]
    assert beacons["mdeprereq.beacon"](config) == []  # the first run records
    assert beacons["mdeprereq.beacon"](config) == []
    (fired,) = beacons["mdeprereq.beacon"](config)
    assert fired["tag"] == "regressed"
    assert [(r["check"], r["old"], r["new"], r["fixable"]) for r in fired["regressions"]] == [
        ("fanotify", "pass", "fail", True)
    ]
    assert fired["ready"] is False
    # not an event for the reactor (forgeable) but the schedule's check, whose return the master
    # authenticates
    assert minion.sent == [("manage_schedule", {"func": "run_job", "name": "mdeprereq-check"})]
    assert beacons["mdeprereq.beacon"](config) == []  # the same failure again: nothing new
    # without the schedule's job there is nothing to run (a warning says so)
    opts["schedule"] = {}
    minion.results = [FANOTIFY_PASSES, FAPOLICYD]
    assert beacons["mdeprereq.beacon"](config) == []
    assert len(beacons["mdeprereq.beacon"](config)) == 1
    assert len(minion.sent) == 1


def minion_id(beacons):
    return beacons["mdeprereq.beacon"].__globals__["__opts__"]["id"]


def test_beacon_keeps_its_baseline_across_restarts(beacon_loader):
    minion, load = beacon_loader
    config = [{"checks": ["fanotify", "disk"]}, {"remediate": False}]
    minion.results = [FANOTIFY_PASSES, FAPOLICYD]
    assert load()["mdeprereq.beacon"](config) == []
    (fired,) = load()["mdeprereq.beacon"](config)  # a new loader: a restarted minion
    assert fired["regressions"][0]["check"] == "fanotify"
    assert minion.sent == []  # remediate: False


def test_beacon_refuses_bad_configuration(beacon_loader):
    _, load = beacon_loader
    valid, comment = load()["mdeprereq.validate"]([{"checks": ["nope"]}])
    assert valid is False and "unknown check" in comment


# -- the outputter -------------------------------------------------------------------------------
@pytest.fixture
def display(loaders):
    def show(data, color=False, **opts):
        options = {**loaders.opts, "color": color, **opts}
        outputters = salt.loader.outputters(options)
        return outputters["mdeprereq"](data)

    return show


def test_outputter_table_plain_and_coloured(display):
    ret = result({"distro": "pass", "mdatp_user": "fail"}, fixable={"mdatp_user"})
    plain = display({MINION: ret})
    lines = plain.splitlines()
    assert lines[0] == f"{MINION}: NOT READY (1 pass, 0 warn, 1 fail, 0 skip)"
    assert lines[1].split() == ["STATUS", "CHECK", "MESSAGE", "FIX"]
    assert lines[2].split()[:2] == ["FAIL", "mdatp_user"]
    assert "[fixable] Apply the fix." in lines[2]
    assert "\x1b[" not in plain
    coloured = display({MINION: ret}, color=True)
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_outputter_single_entry_report_and_fallback(display):
    entry = result({"kernel": "pass"})["checks"]["kernel"]
    single = display({MINION: entry}, fun="mdeprereq.kernel")
    assert single.splitlines()[2].split()[:2] == ["PASS", "kernel"]
    report = {
        "total": 1,
        "ready": 1,
        "notready": 0,
        "unknown": 0,
        "failing": {},
        "distros": {"debian 12": {"total": 1, "ready": 1, "notready": 0, "unknown": 0}},
        "minions": {MINION: {"status": "ready", "failing": [], "distro": "debian 12"}},
    }
    assert display(report).startswith("mdeprereq report: 1 minion(s)")
    for other in ({MINION: True}, {MINION: {"a": [1, 2]}}, "text", [1, 2], None, {}):
        text = display(other)  # the nested outputter's rendering; never an exception
        assert text is None or isinstance(text, str)
    assert "True" in display({MINION: True})
    mixed = display({MINION: entry, "db1": "'mdeprereq.check' is not available."})
    assert "PASS" in mixed and "is not available" in mixed


# -- the states ----------------------------------------------------------------------------------
DEBIAN_12 = {"os": "debian", "version": "12", "arch": "x86_64"}


@pytest.fixture
def render(loaders):
    def show(sls, **settings):
        return show_sls(loaders, sls, DEBIAN_12, settings)

    return show


def args_of(rendered, state_id):
    """``("module.function", {arg: value})`` of one state in state.show_sls's output."""
    module, function, args = state_args(rendered, state_id)
    return f"{module}.{function}", args


def test_remediate_holds_only_the_fixing_states(render):
    rendered = render("mde.remediate", user={"uid": 1500, "gid": 1500}, proxy="http://p:3128")
    # and, since issue #17, mdatp's service (mde.agent), which mde.prereqs does not hold
    assert args_of(rendered, "mde-agent-running")[0] == "mdeprereq.agent_running"
    del rendered["mde-agent-running"]
    assert set(rendered) == {
        "mde-prereqs-user-present",
        "mde-prereqs-dependencies-installed",
        "mde-prereqs-proxy-configured",
        "mde-prereqs-passive-if-conflicting",
        "mde-prereqs-isolation-tools-installed",
    }
    assert args_of(rendered, "mde-prereqs-user-present")[0] == "mdeprereq.user_present"
    # the same definitions as in mde.prereqs, which still gates them and checks the rest
    prereqs = render("mde.prereqs", user={"uid": 1500, "gid": 1500}, proxy="http://p:3128")
    assert set(prereqs) == set(rendered) | {"mde-prereqs-supported", "mde-prereqs-satisfied"}
    for state_id in rendered:
        assert args_of(prereqs, state_id) == args_of(rendered, state_id)
    # the gate and the verdict take mde.fixes whole (sls requisites since issue #18), which is
    # exactly the fixing states above
    _, supported = args_of(prereqs, "mde-prereqs-supported")
    assert supported["require_in"] == [{"sls": "mde.fixes"}]
    _, satisfied = args_of(prereqs, "mde-prereqs-satisfied")
    assert {"sls": "mde.fixes"} in satisfied["require"]
    assert {state_id for state_id in prereqs if prereqs[state_id]["__sls__"] == "mde.fixes"} == set(
        rendered
    )


def test_schedule_state(render):
    fun, args = args_of(render("mde.schedule"), "mde-schedule-check")
    assert fun == "schedule.present"
    # the return goes to the master (authenticated); no event needed
    assert (args["name"], args["function"], args["return_job"]) == (
        "mdeprereq-check",
        "mdeprereq.check",
        True,
    )
    assert "job_kwargs" not in args
    assert (args["hours"], args["splay"], args["maxrunning"]) == (6, 1800, 1)
    fun, args = args_of(
        render("mde.schedule", schedule={"hours": 12, "splay": 0}), "mde-schedule-check"
    )
    assert (args["hours"], "splay" in args) == (12, False)
    fun, _ = args_of(render("mde.schedule", schedule={"enabled": False}), "mde-schedule-check")
    assert fun == "schedule.absent"


@pytest.mark.parametrize(
    "schedule",
    [{"hours": 0}, {"hours": "6h"}, {"hours": 1.5}, {"splay": -1}, {"splay": "1m"}],
)
def test_schedule_refuses_bad_settings(render, schedule):
    rendered = render("mde.schedule", schedule=schedule)
    assert isinstance(rendered, list), rendered  # render errors
    assert "mdeprereq:schedule:" in json.dumps(rendered)


def test_reactor_sls_hands_only_the_tag_of_a_check_return(loaders):
    """The reactor SLS hands the runner the tag of a mdeprereq.check return, nothing of the
    event's data (a minion can forge it), and renders nothing for other returns."""
    renderers = salt.loader.render(loaders.opts, loaders.modules)
    template = (REPO_ROOT / "salt/reactor/mde/remediate.sls").read_text()
    tag = "salt/job/20261201120000123456/ret/web1"
    data = {
        "fun": "mdeprereq.check",
        "id": "web1",
        "fun_args": [{"checks": "mdatp_user", "fire_event": True, "__kwarg__": True}],
        "return": {"note": "a 'q' {{ jinja }}: x"},
    }

    def render(**changed):
        return salt.template.compile_template(
            ":string:",
            renderers,
            "jinja|yaml",
            [],
            [],
            input_data=template,
            tag=tag,
            data={**data, **changed},
        )

    for asked in ({}, {"fun_args": [], "schedule": "mdeprereq-check"}):
        chunk = render(**asked)["mde-reactor-remediate"]["runner.mdeprereq.remediate"]
        assert chunk == [{"args": [{"tag": tag}]}]
    # other functions, and the runner's own checks (no schedule, no fire_event): nothing
    assert not render(fun="test.ping")
    assert not render(fun_args=[{"checks": "mdatp_user", "__kwarg__": True}])
    assert not render(fun_args=["checks=mdatp_user"], schedule="")
