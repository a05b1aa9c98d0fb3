"""The mdatp_user check against fixture /etc/passwd and /etc/group files."""

import pytest

from mdeprereq_engine import checks
from mdeprereq_engine.result import FAIL, PASS, SKIP
from mdeprereq_engine.settings import Settings

MDATP_USER = "mdatp:x:1500:1500::/home/mdatp:/usr/sbin/nologin"
MDATP_GROUP = "mdatp:x:1500:"
USERS = ["alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash", "_chrony:x:105:112::/run:/bin/false"]
GROUPS = ["alice:x:1000:", "_chrony:x:112:", "docker:x:999:alice"]


def settings(uid=1500, gid=1500):
    return Settings.from_raw({"user": {"uid": uid, "gid": gid}})


def accounts(machine, users=(), groups=()):
    machine.os_release("debian-12")
    machine.passwd(*USERS, *users)
    machine.group(*GROUPS, *groups)


def test_not_configured_skips(machine, default_settings):
    accounts(machine)
    entry = checks.check_mdatp_user(machine.host(), default_settings)
    assert entry["status"] == SKIP
    assert "mdeprereq:user" in entry["message"]
    assert "random ids" in entry["message"]


def test_matching_user_passes(machine):
    accounts(machine, [MDATP_USER], [MDATP_GROUP])
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == PASS
    assert entry["message"] == (
        "user and group mdatp exist with uid 1500, gid 1500 and shell /usr/sbin/nologin"
    )
    assert entry["facts"] == {
        "wanted": {"uid": 1500, "gid": 1500, "shell": "/usr/sbin/nologin"},
        "user": {"uid": 1500, "gid": 1500, "home": "/home/mdatp", "shell": "/usr/sbin/nologin"},
        "group": {"gid": 1500},
    }


def test_ids_given_as_strings(machine):
    accounts(machine, [MDATP_USER], [MDATP_GROUP])
    assert checks.check_mdatp_user(machine.host(), settings("1500", "1500"))["status"] == PASS


def test_only_uid_configured_takes_gid_from_group(machine):
    accounts(machine, ["mdatp:x:1500:1600::/home/mdatp:/usr/sbin/nologin"], ["mdatp:x:1600:"])
    entry = checks.check_mdatp_user(machine.host(), settings(gid=None))
    assert entry["status"] == PASS
    assert "gid 1600" in entry["message"]


def test_missing_user_and_group_fail_fixable(machine):
    accounts(machine)
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    assert entry["message"] == "user mdatp does not exist; group mdatp does not exist"
    assert "mdeprereq.user_present" in entry["remediation"]
    assert "mdatp:x:UID:GID::/home/mdatp:/usr/sbin/nologin" in entry["remediation"]
    assert entry["facts"]["user"] is None
    assert entry["facts"]["group"] is None
    assert entry["facts"]["mdatp_installed"] is False


def test_missing_passwd_and_group_files_fail_fixable(machine):
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is True


@pytest.mark.parametrize(
    ("user_line", "group_line", "problem"),
    [
        pytest.param(
            "mdatp:x:1500:1500::/home/mdatp:/bin/bash",
            MDATP_GROUP,
            "user mdatp has shell /bin/bash, not /usr/sbin/nologin",
            id="wrong-shell",
        ),
        pytest.param(
            "mdatp:x:998:998::/home/mdatp:/usr/sbin/nologin",
            "mdatp:x:998:",
            "user mdatp has uid 998, not 1500; user mdatp has primary gid 998, not 1500; "
            "group mdatp has gid 998, not 1500",
            id="other-ids-not-installed",
        ),
        pytest.param(
            MDATP_USER,
            None,
            "group mdatp does not exist",
            id="group-missing",
        ),
        pytest.param(
            None,
            MDATP_GROUP,
            "user mdatp does not exist",
            id="user-missing",
        ),
    ],
)
def test_fixable_problems(machine, user_line, group_line, problem):
    accounts(machine, [user_line] if user_line else [], [group_line] if group_line else [])
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    assert entry["message"] == problem
    assert "mdeprereq.user_present" in entry["remediation"]


def test_uid_taken_by_another_user_is_not_fixable(machine):
    accounts(machine, ["postgres:x:1500:1500:PostgreSQL:/var/lib/postgresql:/bin/bash"])
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is False
    assert entry["message"].startswith("uid 1500 belongs to user postgres")
    assert "user mdatp does not exist" in entry["message"]
    assert "Choose ids no other account uses" in entry["remediation"]


def test_gid_taken_by_another_group_is_not_fixable(machine):
    accounts(machine, [], ["postgres:x:1500:"])
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is False
    assert "gid 1500 belongs to group postgres" in entry["message"]


def test_taken_ids_are_both_named(machine):
    accounts(machine, ["svc:x:1500:1500::/srv:/bin/sh"], ["svc:x:1500:"])
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["message"].startswith(
        "uid 1500 belongs to user svc; gid 1500 belongs to group svc"
    )


def test_ids_of_mdatp_itself_are_not_taken(machine):
    accounts(machine, [MDATP_USER], [MDATP_GROUP])
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert "belongs to" not in entry["message"]


@pytest.mark.parametrize(
    "installed_by",
    [pytest.param("dpkg", id="package-database"), pytest.param("daemon", id="daemon-on-disk")],
)
def test_installed_mdatp_with_other_ids_is_not_fixable(machine, installed_by):
    accounts(machine, ["mdatp:x:998:998::/home/mdatp:/usr/sbin/nologin"], ["mdatp:x:998:"])
    if installed_by == "dpkg":
        machine.dpkg({"libc6": "2.36-9+deb12u7", "mdatp": "101.25042.0003"})
    else:
        machine.write("/opt/microsoft/mdatp/sbin/wdavdaemon", "\x7fELF")
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is False
    assert entry["facts"]["mdatp_installed"] is True
    assert "user mdatp has uid 998, not 1500" in entry["message"]
    assert entry["message"].endswith(
        "; mdatp is installed, so its user's ids can't be changed in place"
    )
    assert "offboard and remove mdatp" in entry["remediation"]


def test_installed_mdatp_with_right_ids_but_wrong_shell_is_fixable(machine):
    accounts(machine, ["mdatp:x:1500:1500::/home/mdatp:/bin/sh"], [MDATP_GROUP])
    machine.dpkg({"mdatp": "101.25042.0003"})
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["status"] == FAIL
    assert entry["fixable"] is True
    assert entry["facts"]["mdatp_installed"] is True


def test_removed_mdatp_package_is_not_installed(machine):
    accounts(machine, ["mdatp:x:998:998::/home/mdatp:/usr/sbin/nologin"], ["mdatp:x:998:"])
    machine.dpkg({"mdatp": ("101.25042.0003", "deinstall ok config-files")})
    entry = checks.check_mdatp_user(machine.host(), settings())
    assert entry["fixable"] is True
    assert entry["facts"]["mdatp_installed"] is False
