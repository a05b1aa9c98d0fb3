"""mdeprereq states through Salt's loader (``state.single``), on this machine.

Tests that change the machine are marked destructive (CI runs them as root) and put back what
they changed, whatever happens: the mdatp user and group, Debian packages, the managed settings.
"""

import json
import pathlib
import pwd
import subprocess

import pytest

from tests.conftest import free_account_id, mdatp_exists

pytestmark = pytest.mark.usefixtures("loaders")

PASSWD = pathlib.Path("/etc/passwd")
GROUP = pathlib.Path("/etc/group")


# -- satisfied -----------------------------------------------------------------------------
def failing(modules, fixable):
    checks = modules.mdeprereq.check()["checks"]
    return {
        check_id: entry
        for check_id, entry in checks.items()
        if entry["status"] == "fail" and entry["fixable"] is fixable
    }


def test_satisfied_fails_one_line_per_failing_check(loaders, modules):
    unfixable = failing(modules, fixable=False)
    if not unfixable:
        pytest.skip("every unfixable prerequisite holds on this machine")
    ret = loaders.states.mdeprereq.satisfied(name="mdatp")
    assert ret.result is False
    for check_id, entry in unfixable.items():
        assert f"{check_id}: {entry['message']}" in ret.comment
    assert ret.changes == {}


def test_satisfied_with_waivers_passes_and_names_them(loaders, modules):
    waived = {check_id: f"test waiver for {check_id}" for check_id in failing(modules, False)}
    waived.update({check_id: "test waiver" for check_id in failing(modules, True)})
    ret = loaders.states.mdeprereq.satisfied(name="mdatp", ignore=waived)
    assert ret.result is True, ret.comment
    for check_id, reason in waived.items():
        assert f"{check_id}: waived ({reason})" in ret.comment
    # the check's non-zero exit code does not leak into the state run
    assert loaders.context.get("retcode", 0) == 0


def test_satisfied_takes_waivers_from_settings(loaders, modules, configure):
    waived = list(failing(modules, False)) + list(failing(modules, True))
    configure(ignore=waived)
    ret = loaders.states.mdeprereq.satisfied(name="mdatp")
    assert ret.result is True, ret.comment
    for check_id in waived:
        assert f"{check_id}: waived (waived by mdeprereq:ignore)" in ret.comment


def test_satisfied_under_test_counts_on_the_fixing_states(loaders, modules, configure):
    # a free uid/gid for the mdatp user: the mdatp_user check fails, and it is fixable
    ids = free_account_id()
    if mdatp_exists():
        pytest.skip("a user mdatp exists on this machine")
    configure(user={"uid": ids, "gid": ids}, ignore=list(failing(modules, False)))
    predicted = loaders.states.mdeprereq.satisfied(name="mdatp", test=True)
    assert predicted.result is None, predicted.comment
    assert "mdatp_user: user mdatp does not exist" in predicted.comment
    real = loaders.states.mdeprereq.satisfied(name="mdatp")
    assert real.result is False
    assert "mdeprereq.user_present" in real.comment


def test_satisfied_refuses_an_unknown_waiver(loaders):
    ret = loaders.states.mdeprereq.satisfied(name="mdatp", ignore=["systemd", "sytemd"])
    assert ret.result is False
    assert "unknown check(s) sytemd" in ret.comment


# -- user_present --------------------------------------------------------------------------
def test_user_present_under_test_predicts_and_changes_nothing(loaders):
    if mdatp_exists():
        pytest.skip("a user mdatp exists on this machine")
    ids = free_account_id()
    before = PASSWD.read_bytes(), GROUP.read_bytes()
    ret = loaders.states.mdeprereq.user_present(name="mdatp", uid=ids, gid=ids, test=True)
    assert ret.result is None
    assert ret.comment.startswith("Would have fixed")
    assert ret.changes == {
        "group": {"old": None, "new": {"name": "mdatp", "gid": ids}},
        "user": {
            "old": None,
            "new": {"name": "mdatp", "uid": ids, "gid": ids, "shell": "/usr/sbin/nologin"},
        },
    }
    assert (PASSWD.read_bytes(), GROUP.read_bytes()) == before


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        pytest.param(
            {"uid": 1, "gid": "auto"}, "mdeprereq:user:gid must be a whole number", id="gid-text"
        ),
        pytest.param(
            {"uid": "abc", "gid": 47001}, "mdeprereq:user:uid must be a whole number", id="uid-text"
        ),
        pytest.param({"uid": -5, "gid": 47001}, "must be between 1 and", id="uid-negative"),
        pytest.param({"uid": 1, "gid": None}, "uid 1 belongs to user daemon", id="uid-taken"),
        pytest.param({"uid": None, "gid": 1}, "gid 1 belongs to group daemon", id="gid-taken"),
    ],
)
def test_user_present_bad_input_is_refused_and_changes_nothing(loaders, kwargs, says):
    if mdatp_exists():
        pytest.skip("a user mdatp exists on this machine")
    before = PASSWD.read_bytes(), GROUP.read_bytes()
    ret = loaders.states.mdeprereq.user_present(name="mdatp", **kwargs)
    assert ret.result is False
    assert says in ret.comment
    assert ret.changes == {}
    assert (PASSWD.read_bytes(), GROUP.read_bytes()) == before


def test_user_present_must_be_named_mdatp(loaders):
    ret = loaders.states.mdeprereq.user_present(name="defender", uid=47000, gid=47000)
    assert ret.result is False
    assert "must be named mdatp" in ret.comment


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_user_present_creates_the_page_recipe_with_real_useradd(loaders, mdatp_account_removed):
    ids = free_account_id()
    ret = loaders.states.mdeprereq.user_present(name="mdatp", uid=ids, gid=ids)
    assert ret.result is True, ret.comment
    assert set(ret.changes) == {"user", "group"}
    lines = [line for line in PASSWD.read_text().splitlines() if line.startswith("mdatp:")]
    assert lines == [f"mdatp:x:{ids}:{ids}::/home/mdatp:/usr/sbin/nologin"]
    assert f"mdatp:x:{ids}:" in GROUP.read_text()
    assert not pathlib.Path("/home/mdatp").exists()
    again = loaders.states.mdeprereq.user_present(name="mdatp", uid=ids, gid=ids)
    assert again.result is True and again.changes == {}
    assert "already as specified" in again.comment

    # someone gives it a login shell: predicted under test, then put back
    subprocess.run(["usermod", "--shell", "/bin/bash", "mdatp"], check=True)
    predicted = loaders.states.mdeprereq.user_present(name="mdatp", uid=ids, gid=ids, test=True)
    assert predicted.result is None
    assert predicted.changes == {
        "user": {"old": {"shell": "/bin/bash"}, "new": {"shell": "/usr/sbin/nologin"}}
    }
    fixed = loaders.states.mdeprereq.user_present(name="mdatp", uid=ids, gid=ids)
    assert fixed.result is True and fixed.changes == predicted.changes
    assert pwd.getpwnam("mdatp").pw_shell == "/usr/sbin/nologin"


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_user_present_takes_ids_from_settings(loaders, configure, mdatp_account_removed):
    ids = free_account_id()
    configure(user={"uid": ids, "gid": ids})
    ret = loaders.states.mdeprereq.user_present(name="mdatp")
    assert ret.result is True, ret.comment
    assert pwd.getpwnam("mdatp").pw_uid == ids


# -- dependencies_installed ----------------------------------------------------------------
# mdatp older than 101.25032.0000 needs mde-netfilter's libraries and uuid-runtime on Debian
OLD_MDATP = "101.25031.0000"


def dpkg_installed(package):
    completed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return completed.stdout.endswith(" installed")


def test_dependencies_installed_under_test_lists_the_missing(loaders, modules):
    entry = modules.mdeprereq.dependencies(version=OLD_MDATP)
    missing = entry["facts"]["missing"]
    ret = loaders.states.mdeprereq.dependencies_installed(name="deps", version=OLD_MDATP, test=True)
    if not missing:
        assert ret.result is True and ret.changes == {}
        return
    assert ret.result is None
    assert ret.changes == {"installed": missing}
    assert all(not dpkg_installed(package) for package in missing)


def test_dependencies_installed_refuses_a_bad_version(loaders):
    ret = loaders.states.mdeprereq.dependencies_installed(name="deps", version="latest-ish")
    assert ret.result is False
    assert "mdeprereq:mdatp_version" in ret.comment


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_dependencies_installed_with_real_apt(loaders, modules):
    entry = modules.mdeprereq.dependencies(version=OLD_MDATP)
    if entry["facts"]["family"] != "debian":
        pytest.skip("this test installs Debian packages")
    missing = entry["facts"]["missing"]
    if not missing:
        pytest.skip(f"every dependency of mdatp {OLD_MDATP} is installed already")
    try:
        ret = loaders.states.mdeprereq.dependencies_installed(name="deps", version=OLD_MDATP)
        assert ret.result is True, ret.comment
        assert all(dpkg_installed(package) for package in missing)
        assert set(missing) <= set(ret.changes)
        assert modules.mdeprereq.dependencies(version=OLD_MDATP)["status"] == "pass"
        again = loaders.states.mdeprereq.dependencies_installed(name="deps", version=OLD_MDATP)
        assert again.result is True and again.changes == {}
    finally:
        subprocess.run(
            ["apt-get", "purge", "-y", "-q", *missing],
            capture_output=True,
            check=False,
            env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        )
    assert not any(dpkg_installed(package) for package in missing)


# -- passive_if_conflicting ----------------------------------------------------------------
def test_passive_if_conflicting_without_conflict_changes_nothing(loaders, modules):
    if modules.mdeprereq.fanotify()["facts"]["conflicting_applications"]:
        pytest.skip("a blocking fanotify holder runs on this machine")
    ret = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd")
    assert ret.result is True and ret.changes == {}
    assert ret.comment.startswith("No blocking-mode fanotify conflict")


@pytest.mark.destructive_test
def test_passive_mode_beside_real_fapolicyd(
    loaders, modules, fapolicyd_running, managed_json_restored
):
    managed = managed_json_restored
    managed.parent.mkdir(parents=True, exist_ok=True)
    admin_settings = {"edr": {"tags": [{"key": "GROUP", "value": "web"}]}, "exclusionSettings": {}}
    managed.write_text(json.dumps(admin_settings))

    entry = modules.mdeprereq.fanotify()
    assert entry["status"] == "fail" and entry["fixable"] is True, entry
    assert f"fapolicyd (pid {fapolicyd_running.pid}" in entry["message"]

    predicted = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd", test=True)
    assert predicted.result is None
    expected = {"antivirusEngine.enforcementLevel": {"old": None, "new": "passive"}}
    assert predicted.changes == expected
    assert json.loads(managed.read_text()) == admin_settings

    ret = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd")
    assert ret.result is True and ret.changes == expected
    written = json.loads(managed.read_text())
    assert written == {**admin_settings, "antivirusEngine": {"enforcementLevel": "passive"}}
    assert managed.stat().st_mode & 0o777 == 0o644
    assert json.loads(managed.with_suffix(".json.bak").read_text()) == admin_settings

    again = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd")
    assert again.result is True and again.changes == {}
    # with passive mode set, fapolicyd beside mdatp is supported: the check only warns
    assert modules.mdeprereq.fanotify()["status"] == "warn"


@pytest.mark.destructive_test
def test_config_keeps_passive_mode_beside_real_fapolicyd(
    loaders, fapolicyd_running, managed_json_restored
):
    """mde.config's state with pillar asking for real_time beside the real fapolicyd: the key is
    refused with the reason, passive mode stays, the other keys are set; run again, nothing
    flips (#12: the formula and the reactor never flip it back and forth)."""
    managed = managed_json_restored
    fixed = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd")
    assert fixed.result is True, fixed.comment
    wanted = {
        "antivirusEngine": {"enforcementLevel": "real_time"},
        "edr": {"tags": [{"key": "GROUP", "value": "web"}]},
    }
    for _ in range(2):
        ret = loaders.states.mdeprereq.managed(name="mdatp", settings=wanted, restart="mdatp")
        assert ret.result is True, ret.comment
        assert "Refused antivirusEngine.enforcementLevel: real_time (kept passive mode)" in (
            ret.comment
        )
        assert f"fapolicyd (pid {fapolicyd_running.pid}" in ret.comment
        assert "restarted" not in ret.changes
        assert json.loads(managed.read_text()) == {
            "antivirusEngine": {"enforcementLevel": "passive"},
            "edr": {"tags": [{"key": "GROUP", "value": "web"}]},
        }
    assert ret.changes == {}  # the second run changes nothing


@pytest.mark.destructive_test
def test_passive_mode_policy_fail(loaders, configure, fapolicyd_running, managed_json_restored):
    configure(fanotify_conflict="fail")
    ret = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd")
    assert ret.result is False
    assert "mdeprereq:fanotify_conflict is fail" in ret.comment
    assert not managed_json_restored.exists()


@pytest.mark.destructive_test
def test_corrupt_managed_json_is_never_overwritten(
    loaders, fapolicyd_running, managed_json_restored
):
    managed = managed_json_restored
    managed.parent.mkdir(parents=True, exist_ok=True)
    corrupt = b'{"antivirusEngine": {"enforcementLevel": "real_time",}'
    managed.write_bytes(corrupt)
    ret = loaders.states.mdeprereq.passive_if_conflicting(name="fapolicyd")
    assert ret.result is False
    assert "is not valid JSON" in ret.comment and str(managed) in ret.comment
    assert managed.read_bytes() == corrupt
    assert not managed.with_suffix(".json.bak").exists()


# -- managed -------------------------------------------------------------------------------
@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_managed_merges_key_by_key(loaders, managed_json_restored):
    managed = managed_json_restored
    managed.parent.mkdir(parents=True, exist_ok=True)
    admin = {
        "antivirusEngine": {"scanArchives": True},
        "features": {"ebpfSupplementaryEventProvider": "enabled"},
    }
    managed.write_text(json.dumps(admin))
    wanted = {
        "antivirusEngine": {"enforcementLevel": "real_time"},
        "edr": {"tags": [{"key": "GROUP", "value": "web"}]},
    }
    predicted = loaders.states.mdeprereq.managed(name="mdatp", settings=wanted, test=True)
    assert predicted.result is None
    assert predicted.changes == {
        "antivirusEngine.enforcementLevel": {"old": None, "new": "real_time"},
        "edr.tags": {"old": None, "new": [{"key": "GROUP", "value": "web"}]},
    }
    assert json.loads(managed.read_text()) == admin
    ret = loaders.states.mdeprereq.managed(name="mdatp", settings=wanted)
    assert ret.result is True and ret.changes == predicted.changes
    assert json.loads(managed.read_text()) == {
        "antivirusEngine": {"scanArchives": True, "enforcementLevel": "real_time"},
        "features": {"ebpfSupplementaryEventProvider": "enabled"},
        "edr": {"tags": [{"key": "GROUP", "value": "web"}]},
    }
    again = loaders.states.mdeprereq.managed(name="mdatp", settings=wanted)
    assert again.result is True and again.changes == {}


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        pytest.param(
            {"antivirusEngine": {"enforcementLevel": "realtime"}},
            "antivirusEngine.enforcementLevel must be one of real_time, on_demand, passive",
            id="enforcement-typo",
        ),
        pytest.param(
            {"edr": {"tags": [{"key": "OWNER", "value": "me"}]}},
            "only GROUP is allowed",
            id="tag-key",
        ),
        pytest.param(
            {"cloudService": {"enabled": "yes"}}, "cloudService.enabled must be a bool", id="bool"
        ),
        pytest.param(
            {"antivirusEngine": {"maximumOnDemandScanThreads": "2"}},
            "must be a whole number",
            id="int",
        ),
    ],
)
@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_managed_refuses_wrong_types_and_writes_nothing(
    loaders, managed_json_restored, settings, says
):
    managed = managed_json_restored
    managed.parent.mkdir(parents=True, exist_ok=True)
    managed.write_text('{"antivirusEngine": {"enforcementLevel": "passive"}}')
    before = managed.read_bytes()
    ret = loaders.states.mdeprereq.managed(name="mdatp", settings=settings)
    assert ret.result is False
    assert says in ret.comment
    assert managed.read_bytes() == before
    assert not managed.with_suffix(".json.bak").exists()


# -- proxy_configured ----------------------------------------------------------------------
APT_PROXY = pathlib.Path("/etc/apt/apt.conf.d/90mdeprereq-proxy")


@pytest.fixture
def apt_proxy_removed():
    """Removes the apt proxy drop-in (and its backup) the test causes, whatever happens."""
    existed = APT_PROXY.exists()
    if existed:
        pytest.skip(f"{APT_PROXY} exists on this machine already")
    try:
        yield APT_PROXY
    finally:
        for path in (APT_PROXY, APT_PROXY.with_name(APT_PROXY.name + ".bak")):
            if path.exists():
                path.unlink()


def machine_snapshot():
    """What proxy_configured may write: the apt drop-ins and mdatp's managed settings."""
    apt = sorted(p.name for p in pathlib.Path("/etc/apt/apt.conf.d").iterdir())
    managed = pathlib.Path("/etc/opt/microsoft/mdatp/managed/mdatp_managed.json")
    return apt, managed.read_bytes() if managed.exists() else None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        pytest.param("http://proxy.example/proxy.pac", "proxy auto-config (PAC)", id="pac"),
        pytest.param("http://wpad.example:80/wpad.dat", "WPAD", id="wpad"),
        pytest.param("http://alice:s3cret@proxy.example:3128", "credentials", id="authenticated"),
        pytest.param("http://proxy.example:99999", "port", id="bad-port"),
        pytest.param("http://proxy.example:3128\nAcquire::x", "newline", id="newline"),
        pytest.param("proxy.example:3128; rm -rf /", "", id="garbage"),
    ],
)
def test_proxy_configured_refuses_bad_proxies_before_writing(loaders, configure, url, says):
    before = machine_snapshot()
    configure(proxy=url)
    ret = loaders.states.mdeprereq.proxy_configured(name="mdeprereq-proxy")
    assert ret.result is False
    assert "Refusing the proxy, nothing was written" in ret.comment
    assert says in ret.comment
    assert ret.changes == {}
    assert "s3cret" not in repr((ret.name, ret.comment, ret.changes))
    assert machine_snapshot() == before


@pytest.mark.destructive_test
@pytest.mark.skip_if_not_root
def test_proxy_configured_for_apt_and_the_product(
    loaders, configure, apt_proxy_removed, managed_json_restored
):
    url = "http://proxy.example:3128"
    configure(proxy=url)
    predicted = loaders.states.mdeprereq.proxy_configured(name="mdeprereq-proxy", test=True)
    assert predicted.result is None
    assert predicted.changes == {
        "package_manager": {"file": str(APT_PROXY), "old": None, "new": url},
        "cloudService.proxy": {"old": None, "new": url},
    }
    assert not APT_PROXY.exists(), "test=True wrote the apt proxy"
    assert not managed_json_restored.exists(), managed_json_restored.read_text()

    ret = loaders.states.mdeprereq.proxy_configured(name="mdeprereq-proxy")
    assert ret.result is True, ret.comment
    assert ret.changes == predicted.changes
    # real apt reads it
    dumped = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, check=True)
    assert 'Acquire::https::Proxy "http://proxy.example:3128/";' in dumped.stdout
    assert json.loads(managed_json_restored.read_text()) == {"cloudService": {"proxy": url}}

    again = loaders.states.mdeprereq.proxy_configured(name="mdeprereq-proxy")
    assert again.result is True and again.changes == {}
    assert "already" in again.comment
