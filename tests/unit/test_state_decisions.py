"""The states' decisions with the execution module replaced by fakes: what each state does for
each answer of the checks (the functional tests run the same states against this machine)."""

import importlib.util

import pytest
from salt.exceptions import CommandExecutionError

from tests.conftest import REPO_ROOT


@pytest.fixture
def states():
    spec = importlib.util.spec_from_file_location(
        "mdeprereq_states_under_test", REPO_ROOT / "_states" / "mdeprereq.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.__salt__ = {}
    module.__opts__ = {"test": False}
    module.__context__ = {}
    module.__states__ = {}
    return module


def entry(status, message="seen", fixable=False, remediation=None, **facts):
    return {
        "status": status,
        "message": message,
        "remediation": remediation,
        "fixable": fixable,
        "facts": facts,
    }


def fail_with(message):
    def raiser(*args, **kwargs):
        raise CommandExecutionError(message)

    return raiser


# -- satisfied -----------------------------------------------------------------------------
def check_result(**entries):
    return {
        "ready": False,
        "summary": {"pass": 1, "warn": 0, "fail": 0, "skip": 0},
        "checks": entries,
    }


def settings(**values):
    return {"ignore": {}, "fanotify_conflict": "passive", **values}


def test_satisfied_lists_each_failure_and_its_fix(states):
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.check"] = lambda: check_result(
        kernel=entry("fail", "kernel 3.10.0-229.el7 is older", remediation="Update the kernel."),
        memory=entry("pass"),
        disk=entry("fail", "only 1.0 GiB free", remediation="Free space."),
    )
    ret = states.satisfied("mdatp")
    assert ret["result"] is False
    assert ret["comment"].splitlines() == [
        "Prerequisites not met:",
        "kernel: kernel 3.10.0-229.el7 is older. Fix: Update the kernel.",
        "disk: only 1.0 GiB free. Fix: Free space.",
    ]


def test_satisfied_in_test_mode_counts_on_fixable_failures_being_fixed(states):
    states.__opts__["test"] = True
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.check"] = lambda: check_result(
        dependencies=entry("fail", "missing: uuid-runtime", fixable=True, remediation="apply it")
    )
    assert states.satisfied("mdatp")["result"] is None
    states.__opts__["test"] = False
    assert states.satisfied("mdatp")["result"] is False


def test_satisfied_unfixable_failure_fails_even_in_test_mode(states):
    states.__opts__["test"] = True
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.check"] = lambda: check_result(
        systemd=entry("fail", "no systemd", remediation="boot with systemd"),
        dependencies=entry("fail", "missing", fixable=True, remediation="apply it"),
    )
    assert states.satisfied("mdatp")["result"] is False


def test_satisfied_waiver_from_argument_overrides_settings(states):
    states.__salt__["mdeprereq.settings"] = lambda: settings(ignore={"kernel": "from settings"})
    states.__salt__["mdeprereq.waivers"] = lambda ignore: {"systemd": "chroot build"}
    states.__salt__["mdeprereq.check"] = lambda: check_result(
        systemd=entry("fail", "no systemd", remediation="boot with systemd")
    )
    ret = states.satisfied("mdatp", ignore={"systemd": "chroot build"})
    assert ret["result"] is True
    assert "systemd: waived (chroot build): no systemd" in ret["comment"]


def test_satisfied_clears_the_checks_exit_code(states):
    states.__salt__["mdeprereq.settings"] = settings

    def check():
        states.__context__["retcode"] = 1
        return check_result(memory=entry("pass"))

    states.__salt__["mdeprereq.check"] = check
    assert states.satisfied("mdatp")["result"] is True
    assert "retcode" not in states.__context__


# -- user_present --------------------------------------------------------------------------
def test_user_present_plans_group_then_user(states):
    calls = []
    states.__salt__["mdeprereq.mdatp_user"] = lambda uid, gid: entry(
        "fail",
        "user mdatp does not exist",
        fixable=True,
        wanted={"uid": 1500, "gid": 1501},
        user=None,
        group=None,
    )
    # Salt's own states change the machine (issue #18 item 4): group.present, then user.present
    done = {"result": True}
    states.__states__["group.present"] = lambda **kw: calls.append(("group", kw)) or done
    states.__states__["user.present"] = lambda **kw: calls.append(("user", kw)) or done
    states.__opts__["test"] = True
    predicted = states.user_present("mdatp", uid=1500, gid=1501)
    assert predicted["result"] is None and calls == []
    assert predicted["changes"]["user"]["new"] == {
        "name": "mdatp",
        "uid": 1500,
        "gid": 1501,
        "shell": "/usr/sbin/nologin",
    }
    states.__opts__["test"] = False
    states.user_present("mdatp", uid=1500, gid=1501)
    assert calls[0] == ("group", {"name": "mdatp", "gid": 1501, "system": True})
    assert calls[1][0] == "user"
    assert calls[1][1] == {
        "name": "mdatp",
        "uid": 1500,
        "gid": 1501,
        "home": "/home/mdatp",
        "shell": "/usr/sbin/nologin",
        "createhome": False,
        "system": True,
        "usergroup": False,
        # the check decided the ids may change (mdatp is not installed, the ids are free)
        "allow_uid_change": True,
        "allow_gid_change": True,
    }


def test_user_present_changes_only_what_differs_and_reports_salts_failure(states):
    calls = []
    user = {"uid": 1400, "gid": 1500, "home": "/srv/mdatp", "shell": "/bin/bash"}
    states.__salt__["mdeprereq.mdatp_user"] = lambda uid, gid: entry(
        "fail",
        "uid 1400 is not 1500",
        fixable=True,
        wanted={"uid": 1500, "gid": 1500},
        user=user,
        group={"gid": 1500},
    )
    states.__states__["group.present"] = lambda **kw: calls.append(("group", kw))
    states.__states__["user.present"] = lambda **kw: (
        calls.append(("user", kw))
        or {
            "result": False,
            "comment": "usermod: user mdatp is currently used by process 4242",
        }
    )
    ret = states.user_present("mdatp", uid=1500, gid=1500)
    # the group is as wanted: not touched; the user's home is never passed (never changed)
    assert calls == [
        (
            "user",
            {
                "name": "mdatp",
                "uid": 1500,
                "gid": None,
                "shell": "/usr/sbin/nologin",
                "createhome": False,
                "usergroup": False,
                "allow_uid_change": True,
                "allow_gid_change": True,
            },
        )
    ]
    assert ret["result"] is False
    assert ret["comment"] == (
        "Could not fix user mdatp: user.present mdatp: usermod: user mdatp is currently used "
        "by process 4242"
    )


def test_user_present_refuses_what_is_not_fixable(states):
    states.__salt__["mdeprereq.mdatp_user"] = lambda uid, gid: entry(
        "fail",
        "uid 1 belongs to user daemon",
        remediation="Choose free ids.",
        wanted={"uid": 1, "gid": 1},
    )
    ret = states.user_present("mdatp", uid=1, gid=1)
    assert ret["result"] is False
    assert ret["comment"] == (
        "Refusing to change user mdatp: uid 1 belongs to user daemon. Choose free ids."
    )


def test_user_present_only_changes_the_shell_when_only_the_shell_differs(states):
    user = {"uid": 1500, "gid": 1500, "home": "/home/mdatp", "shell": "/bin/bash"}
    changes = states._account_changes({"user": user, "group": {"gid": 1500}}, 1500, 1500)
    assert changes == {
        "user": {"old": {"shell": "/bin/bash"}, "new": {"shell": "/usr/sbin/nologin"}}
    }


# -- passive_if_conflicting / proxy_configured / managed / dependencies ---------------------
def test_passive_is_not_set_for_a_conflict_passive_mode_does_not_fix(states):
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.fanotify"] = lambda: entry(
        "fail",
        "cbagentd blocks",
        remediation="Remove it.",
        conflicting_applications=["cbagentd (pid 7, /opt/cb/cbagentd)"],
    )
    states.__salt__["mdeprereq.set_managed"] = fail_with("must not be called")
    ret = states.passive_if_conflicting("fanotify")
    assert ret["result"] is False
    assert "Passive mode does not make this supported" in ret["comment"]


def test_proxy_configured_masks_credentials_and_reports_the_refusal(states):
    states.__salt__["mdeprereq.configure_proxy"] = fail_with(
        "Refusing the proxy, nothing was written: 'http://***@p:3128' carries credentials"
    )
    ret = states.proxy_configured("http://alice:s3cret@p:3128")
    assert ret["name"] == "http://***@p:3128"
    assert ret["result"] is False and "s3cret" not in repr(ret)


def _restart_required(keys):
    return [key for key in keys if key.startswith("cloudService.diagnosticLevel")]


def test_managed_reports_what_it_set(states):
    states.__salt__["mdeprereq.set_managed"] = lambda settings, test: {
        "edr.tags": {"old": None, "new": [{"key": "GROUP", "value": "web"}]}
    }
    states.__salt__["mdeprereq.restart_required"] = _restart_required
    ret = states.managed("mdatp", {"edr": {"tags": [{"key": "GROUP", "value": "web"}]}})
    assert ret["result"] is True and ret["comment"] == "Set edr.tags"
    assert states.managed("mdatp", ["not", "a", "mapping"])["result"] is False


def test_dependencies_installed_fails_when_the_install_did_not_help(states):
    answers = iter([entry("fail", "missing: libpcre3", missing=["libpcre3"])] * 2)
    states.__salt__["mdeprereq.dependencies"] = lambda version: next(answers)
    states.__states__["pkg.installed"] = lambda name, pkgs: {"changes": {}, "comment": "E: broken"}
    ret = states.dependencies_installed("deps")
    assert ret["result"] is False
    assert "did not satisfy the dependencies: E: broken missing: libpcre3" in ret["comment"]


def _health(licensed, **report):
    """A stand-in for mdeprereq.health: the field ``licensed``, or the whole mapping."""
    mapping = {"licensed": licensed, "daemon_running": True, "expired": False, **report}
    return lambda field=None: mapping if field is None else mapping[field]


def test_licensed_waits_then_fails_with_the_health_issues(states, monkeypatch):
    states.__salt__["mdeprereq.health"] = _health(False, health_issues=["missing license"])
    monkeypatch.setattr(states.time, "sleep", lambda seconds: None)
    ret = states.licensed("mdatp", timeout=0.05, interval=0.01)
    assert ret["result"] is False
    assert "health issues: ['missing license']" in ret["comment"]
    assert "expired" not in ret["comment"]
    states.__salt__["mdeprereq.health"] = _health(True)
    assert states.licensed("mdatp", timeout=1)["result"] is True


def test_passive_is_not_set_where_fapolicyd_is_supported_in_active_mode(states):
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.fanotify"] = lambda: entry(
        "warn",
        "blocking-mode fanotify held by: fapolicyd (pid 655). On Red Hat Enterprise Linux, ...",
        conflicting_applications=["fapolicyd (pid 655, /usr/sbin/fapolicyd)"],
        fapolicyd_active_mode={"supported": True},
    )
    states.__salt__["mdeprereq.set_managed"] = fail_with("must not be called")
    for policy in ("passive", "fail"):
        states.__salt__["mdeprereq.settings"] = lambda policy=policy: settings(
            fanotify_conflict=policy
        )
        ret = states.passive_if_conflicting("fapolicyd")
        assert ret["result"] is True and ret["changes"] == {}
        assert ret["comment"].startswith("Nothing to change, active mode is supported")


# -- isolation_tools_installed -----------------------------------------------------------------
def isolation_entry(status, packages=("iptables",)):
    return entry(
        status,
        "device isolation needs iptables and ip6tables" if status != "pass" else "can work",
        fixable=status != "pass" and bool(packages),
        packages=list(packages) if packages else None,
    )


def test_isolation_tools_installed_installs_with_pkg_installed(states):
    answers = iter([isolation_entry("warn"), isolation_entry("pass")])
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.isolation"] = lambda: next(answers)
    calls = []

    def pkg_installed(**kwargs):
        calls.append(kwargs)
        return {"result": True, "changes": {"iptables": {"old": "", "new": "1.8.9-2"}}}

    states.__states__["pkg.installed"] = pkg_installed
    ret = states.isolation_tools_installed("isolation-tools")
    assert ret["result"] is True, ret["comment"]
    assert calls == [{"name": "isolation-tools", "pkgs": ["iptables"]}]
    assert ret["changes"] == {"iptables": {"old": "", "new": "1.8.9-2"}}


def test_isolation_tools_installed_under_test_and_when_present(states):
    states.__salt__["mdeprereq.settings"] = settings
    states.__states__["pkg.installed"] = fail_with("must not be called")
    states.__salt__["mdeprereq.isolation"] = lambda: isolation_entry("warn", ["iptables-nft"])
    states.__opts__["test"] = True
    ret = states.isolation_tools_installed("isolation-tools")
    assert ret["result"] is None
    assert ret["changes"] == {"installed": ["iptables-nft"]}
    assert ret["comment"] == "Would have installed iptables-nft"
    states.__opts__["test"] = False
    states.__salt__["mdeprereq.isolation"] = lambda: isolation_entry("pass")
    ret = states.isolation_tools_installed("isolation-tools")
    assert ret["result"] is True and ret["changes"] == {}
    assert "already installed" in ret["comment"]


def test_isolation_tools_installed_honours_the_waiver(states):
    states.__salt__["mdeprereq.settings"] = lambda: settings(ignore={"isolation": "firewalld only"})
    states.__salt__["mdeprereq.isolation"] = lambda: isolation_entry("warn")
    states.__states__["pkg.installed"] = fail_with("must not be called")
    ret = states.isolation_tools_installed("isolation-tools")
    assert ret["result"] is True and ret["changes"] == {}
    assert ret["comment"].startswith("isolation is waived (firewalld only)")


def test_isolation_tools_installed_fails_when_unknown_or_not_helped(states):
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.isolation"] = lambda: isolation_entry("warn", packages=None)
    ret = states.isolation_tools_installed("isolation-tools")
    assert ret["result"] is False
    assert "Could not tell which package" in ret["comment"]
    states.__salt__["mdeprereq.isolation"] = lambda: isolation_entry("warn")
    states.__states__["pkg.installed"] = lambda **kwargs: {
        "result": False,
        "changes": {},
        "comment": "No candidate",
    }
    ret = states.isolation_tools_installed("isolation-tools")
    assert ret["result"] is False
    assert "did not bring the isolation tools: No candidate" in ret["comment"]


def test_satisfied_goes_on_with_warnings_and_says_so(states):
    states.__salt__["mdeprereq.settings"] = settings
    states.__salt__["mdeprereq.check"] = lambda: {
        "ready": True,
        "summary": {"pass": 1, "warn": 1, "fail": 0, "skip": 0},
        "checks": {
            "distro": entry("warn", "Linux Mint 22.1 is not on Microsoft's list, but derived"),
            "kernel": entry("pass"),
        },
    }
    ret = states.satisfied("mdatp")
    assert ret["result"] is True
    assert ret["comment"].splitlines() == [
        "Prerequisites met (1 pass, 1 warn, 0 skip)",
        "distro: warning: Linux Mint 22.1 is not on Microsoft's list, but derived",
    ]


def test_satisfied_names_a_waived_warning_as_waived(states):
    states.__salt__["mdeprereq.settings"] = lambda: settings(ignore={"isolation": "no iptables"})
    states.__salt__["mdeprereq.check"] = lambda: {
        "ready": True,
        "summary": {"pass": 0, "warn": 1, "fail": 0, "skip": 0},
        "checks": {"isolation": entry("warn", "device isolation needs iptables")},
    }
    ret = states.satisfied("mdatp")
    assert ret["result"] is True
    assert ret["comment"].splitlines()[1:] == [
        "isolation: waived (no iptables): device isolation needs iptables"
    ]


def test_licensed_tells_an_expired_build_from_a_failed_onboarding(states, monkeypatch):
    """An expired build also reports licensed false and "missing license" (linux-updates.md)."""
    states.__salt__["mdeprereq.health"] = _health(
        False,
        health_issues=["missing license"],
        expired=True,
        app_version="101.24122.0004",
        product_expiration="2025-10-05",
    )
    monkeypatch.setattr(states.time, "sleep", lambda seconds: None)
    ret = states.licensed("mdatp", timeout=0.02, interval=0.01)
    assert ret["result"] is False
    assert ret["comment"].startswith("mdatp 101.24122.0004 expired on 2025-10-05: upgrade it")
    assert "onboard" not in ret["comment"].split("(")[0]


def test_licensed_says_when_the_daemon_is_not_running(states, monkeypatch):
    states.__salt__["mdeprereq.health"] = _health(
        None, daemon_running=False, error="Could not connect to the daemon"
    )
    monkeypatch.setattr(states.time, "sleep", lambda seconds: None)
    ret = states.licensed("mdatp", timeout=0.02, interval=0.01)
    assert ret["result"] is False
    assert "daemon is not running (Could not connect to the daemon)" in ret["comment"]


# -- managed keeps passive mode where the fanotify rule needs it ----------------------------
FAPOLICYD = ["fapolicyd (pid 812, /usr/sbin/fapolicyd)"]


def _recording_set_managed(states):
    calls = []
    states.__salt__["mdeprereq.restart_required"] = _restart_required

    def set_managed(settings, test):
        calls.append(settings)
        return {key: {"old": None, "new": value} for key, value in settings.items()}

    states.__salt__["mdeprereq.set_managed"] = set_managed
    return calls


@pytest.mark.parametrize("level", ["real_time", "on_demand"])
@pytest.mark.parametrize("dotted", [False, True], ids=["nested", "dotted"])
def test_managed_refuses_active_mode_beside_a_blocking_holder(states, level, dotted):
    calls = _recording_set_managed(states)
    states.__salt__["mdeprereq.fanotify"] = lambda: entry(
        "warn", "passive beside fapolicyd", conflicting_applications=FAPOLICYD
    )
    wanted = (
        {"antivirusEngine.enforcementLevel": level, "edr.tags": []}
        if dotted
        else {"antivirusEngine": {"enforcementLevel": level}, "edr": {"tags": []}}
    )
    ret = states.managed("mdatp", wanted)
    assert ret["result"] is True
    assert calls == [{"edr.tags": []} if dotted else {"edr": {"tags": []}}]
    assert (
        f"Refused antivirusEngine.enforcementLevel: {level} (kept passive mode)" in (ret["comment"])
    )
    assert "fapolicyd (pid 812" in ret["comment"] and ret["warnings"]


def test_managed_sets_active_mode_without_a_conflict(states):
    calls = _recording_set_managed(states)
    states.__salt__["mdeprereq.fanotify"] = lambda: entry("pass", conflicting_applications=[])
    ret = states.managed("mdatp", {"antivirusEngine": {"enforcementLevel": "real_time"}})
    assert calls == [{"antivirusEngine": {"enforcementLevel": "real_time"}}]
    assert ret["result"] is True and "Refused" not in ret["comment"]


def test_managed_passive_or_other_keys_never_run_the_check(states):
    calls = _recording_set_managed(states)
    states.__salt__["mdeprereq.fanotify"] = fail_with("must not be called")
    ret = states.managed("mdatp", {"antivirusEngine": {"enforcementLevel": "passive"}})
    assert ret["result"] is True and calls


def test_managed_only_level_refused_leaves_nothing_to_set(states):
    calls = _recording_set_managed(states)
    states.__salt__["mdeprereq.set_managed"] = lambda settings, test: calls.append(settings) or {}
    states.__salt__["mdeprereq.fanotify"] = lambda: entry(
        "warn", conflicting_applications=FAPOLICYD
    )
    ret = states.managed("mdatp", {"antivirusEngine": {"enforcementLevel": "real_time"}})
    assert calls == [{}]
    assert ret["result"] is True and ret["changes"] == {}
    assert ret["comment"].startswith("Managed settings are already as specified\nRefused")


def test_managed_fails_when_the_check_cannot_run(states):
    _recording_set_managed(states)
    states.__salt__["mdeprereq.fanotify"] = fail_with("proc unreadable")
    ret = states.managed("mdatp", {"antivirusEngine": {"enforcementLevel": "real_time"}})
    assert ret["result"] is False and "proc unreadable" in ret["comment"]


# -- managed restarts mdatp only for the settings that need it -------------------------------
def _restarts(states, changed):
    restarted = []
    states.__salt__["mdeprereq.set_managed"] = lambda settings, test: {
        key: {"old": None, "new": "x"} for key in changed
    }
    states.__salt__["mdeprereq.restart_required"] = _restart_required
    states.__salt__["service.restart"] = lambda name: restarted.append(name) or True
    return restarted


def test_managed_changes_apply_live_without_a_restart(states):
    restarted = _restarts(states, ["edr.tags", "cloudService.proxy"])
    ret = states.managed("mdatp", {"edr": {"tags": []}}, restart="mdatp")
    assert ret["result"] is True and restarted == []
    assert "restarted" not in ret["changes"] and "Restarted" not in ret["comment"]


def test_managed_restarts_for_a_listed_setting(states):
    restarted = _restarts(states, ["cloudService.diagnosticLevel", "edr.tags"])
    ret = states.managed("mdatp", {"cloudService": {"diagnosticLevel": "required"}}, "mdatp")
    assert ret["result"] is True and restarted == ["mdatp"]
    assert ret["changes"]["restarted"] == "mdatp"
    assert "cloudService.diagnosticLevel take(s) effect after a restart" in ret["comment"]
    # without restart= (systemd waived): said, not done
    restarted.clear()
    ret = states.managed("mdatp", {"cloudService": {"diagnosticLevel": "required"}})
    assert restarted == [] and "after a restart of mdatp" in ret["comment"]
    # test=True: would
    states.__opts__["test"] = True
    ret = states.managed("mdatp", {"cloudService": {"diagnosticLevel": "required"}}, "mdatp")
    assert ret["result"] is None and restarted == []
    assert "Would have restarted mdatp" in ret["comment"]


def test_managed_fails_when_the_restart_fails(states):
    _restarts(states, ["cloudService.diagnosticLevel"])
    states.__salt__["service.restart"] = lambda name: False
    ret = states.managed("mdatp", {"cloudService": {"diagnosticLevel": "required"}}, "mdatp")
    assert ret["result"] is False and "restarting mdatp failed" in ret["comment"]
