"""The mde formula end to end, with a real salt-master and salt-minion: from bare server to an
installed, onboarded, configured mdatp, a second highstate that changes nothing, an unsupported
minion refused before any change, and mde.remove leaving the machine clean.

The product is a TEST DOUBLE (tests/e2e/fake_mdatp.py, not Microsoft's mdatp) served from a local
repository with Microsoft's layout (mdeprereq:repo:url points at it): the real package and cloud
can't be reached from here. For the same reason, and because this machine has no systemd as PID 1,
the pillar waives the connectivity and systemd checks, with the reasons shown in the run.
"""

import json
import pathlib
import pwd
import subprocess

import pytest
from saltfactories.utils import random_string

from tests.conftest import (
    assert_probes_loopback_only,
    free_account_id,
)
from tests.e2e import fake_mdatp
from tests.e2e.conftest import MDATP_VERSIONS, formula_master

pytestmark = [
    pytest.mark.integration,
    pytest.mark.destructive_test,
    pytest.mark.skip_if_not_root,
]

# The newest build the repository serves (a recent one: an expired pin fails satisfied)
VERSION = MDATP_VERSIONS[-1]
ORG_ID = "0e2e0e2e-1111-4222-8333-944445555666"
# the formula's own file names, never packages-microsoft-prod's (repos.py)
SOURCE = pathlib.Path("/etc/apt/sources.list.d/mdeprereq-microsoft-prod.list")
KEYRING = pathlib.Path("/usr/share/keyrings/mdeprereq-microsoft.gpg")
RECORD = pathlib.Path("/var/lib/mdeprereq/repository.json")
ONBOARD = pathlib.Path("/etc/opt/microsoft/mdatp/mdatp_onboard.json")
MANAGED = pathlib.Path("/etc/opt/microsoft/mdatp/managed/mdatp_managed.json")
WAIVERS = {
    "systemd": "this CI has no systemd as PID 1",
    "connectivity": "test double: Microsoft's cloud can't be reached from here",
    # mde.prereqs would install iptables on this machine; tests/functional/test_isolation.py
    # runs that state for real and purges what it installed
    "isolation": "this run installs nothing on the host but mdatp",
}


@pytest.fixture(scope="module")
def account_id():
    return free_account_id(48000)


@pytest.fixture(scope="module")
def master(salt_factories, tmp_path_factory, mdatp_repo, account_id):
    settings = {
        # the test repository's throwaway keys instead of Microsoft's fingerprints
        "repo": {"url": mdatp_repo.url, "fingerprints": mdatp_repo.fingerprints},
        "mdatp_version": VERSION,
        "user": {"uid": account_id, "gid": account_id},
        "onboarding": {"contents": fake_mdatp.onboarding_blob(ORG_ID)},
        "ignore": WAIVERS,
        "managed": {
            "antivirusEngine": {"enforcementLevel": "real_time"},
            "edr": {"tags": [{"key": "GROUP", "value": "e2e"}]},
        },
        "licensed_timeout": 30,
    }
    with formula_master(salt_factories, tmp_path_factory, "e2e-master-", settings) as factory:
        yield factory


def started_minion(master, **overrides):
    factory = master.salt_minion_daemon(
        random_string("e2e-minion-"), overrides={"enable_fqdns_grains": False, **overrides}
    )
    return factory


@pytest.fixture(scope="module")
def minion(master):
    factory = started_minion(master)
    with factory.started():
        assert factory.salt_call_cli().run("saltutil.sync_all").returncode == 0
        yield factory


@pytest.fixture(scope="module")
def mint_minion(master):
    """A minion whose mde grain says Linux Mint 21.3 (a grains override in its config)."""
    factory = started_minion(
        master, grains={"mde": {"os": "linuxmint", "version": "21.3", "arch": "x86_64"}}
    )
    with factory.started():
        assert factory.salt_call_cli().run("saltutil.sync_all").returncode == 0
        yield factory


def apply(master, minion, sls, *args):
    ret = master.salt_cli(timeout=600).run("state.apply", sls, *args, minion_tgt=minion.id)
    assert isinstance(ret.data, dict), ret
    return ret, {state["__id__"]: state for state in ret.data.values()}


def changed(states):
    return sorted(state_id for state_id, state in states.items() if state["changes"])


def machine_state():
    """What the formula would change on this machine."""
    return {
        "source": SOURCE.exists(),
        "keyring": KEYRING.exists(),
        "config": pathlib.Path("/etc/opt/microsoft").exists(),
        "mdatp": subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", "mdatp"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.endswith(" installed"),
        "user": any(entry.pw_name == "mdatp" for entry in pwd.getpwall()),
        "record": RECORD.exists(),
    }


def test_from_bare_server_to_onboarded_and_back(  # noqa: PLR0917 - fixtures
    master, minion, mint_minion, mdatp_cleanup, account_id, mdatp_repo
):
    if not RECORD.parent.exists():
        mdatp_cleanup.track(RECORD.parent)
    bare = machine_state()
    assert bare == dict.fromkeys(bare, False), f"the machine is not bare: {bare}"

    # 1. an unsupported distribution is refused before any change
    ret, states = apply(master, mint_minion, "mde")
    assert states["mde-prereqs-supported"]["result"] is False
    assert "not on Microsoft's list" in states["mde-prereqs-supported"]["comment"]
    assert changed(states) == []
    assert all(
        state["result"] is False for sid, state in states.items() if sid != "mde-prereqs-supported"
    )
    assert machine_state() == bare

    # 2. without the systemd waiver, satisfied refuses (this machine has no systemd as PID 1)
    ret, states = apply(
        master,
        minion,
        "mde",
        "test=True",
        f"pillar={json.dumps({'mdeprereq': {'ignore': ['connectivity']}})}",
    )
    assert states["mde-prereqs-satisfied"]["result"] is False
    assert "systemd:" in states["mde-prereqs-satisfied"]["comment"]
    assert machine_state() == bare

    # 3. the highstate takes the minion from bare to installed, onboarded and configured
    ret, states = apply(master, minion, "mde")
    failed = {sid: state["comment"] for sid, state in states.items() if state["result"] is not True}
    assert failed == {}, failed
    assert ORG_ID not in ret.stdout, "the onboarding blob leaked into the output"
    assert "onboardingInfo" not in ret.stdout
    for waived, reason in WAIVERS.items():
        assert f"{waived}: waived ({reason})" in states["mde-prereqs-satisfied"]["comment"]
    assert "mdatp.service was not started" in states["mde-install-service-running"]["comment"]
    # no daemon, so no CLI to ask: the blob is in place and the device onboards at first boot
    assert "onboards when mdatp first starts" in states["mde-onboard-licensed"]["comment"]
    assert machine_state() == {**dict.fromkeys(bare, True)}
    source = SOURCE.read_text()
    assert f"[arch=amd64 signed-by={KEYRING}]" in source
    assert "/debian/12/prod bookworm main" in source
    # the keyring holds exactly the key whose fingerprint the formula checked
    assert KEYRING.read_bytes() == mdatp_repo.binary_key_path.read_bytes()
    assert KEYRING.stat().st_mode & 0o777 == 0o644
    assert json.loads(RECORD.read_text()) == {"files": [str(SOURCE), str(KEYRING)]}
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "mdatp"], capture_output=True, text=True, check=True
    ).stdout
    assert installed == VERSION
    user = pwd.getpwnam("mdatp")
    assert (user.pw_uid, user.pw_gid, user.pw_shell) == (
        account_id,
        account_id,
        "/usr/sbin/nologin",
    )
    assert ONBOARD.stat().st_mode & 0o777 == 0o600
    assert json.loads(MANAGED.read_text()) == {
        "antivirusEngine": {"enforcementLevel": "real_time"},
        "edr": {"tags": [{"key": "GROUP", "value": "e2e"}]},
    }
    licensed = subprocess.run(
        ["mdatp", "health", "--field", "licensed"], capture_output=True, text=True, check=False
    )
    assert (licensed.returncode, licensed.stderr) == (1, f"{fake_mdatp.NO_DAEMON}\n")

    # "first boot": the daemon starts (here by its own pid, no systemd) and mdatp is licensed
    with fake_mdatp.daemon_running(fake_mdatp.DAEMON):
        licensed = subprocess.run(
            ["mdatp", "health", "--field", "licensed"], capture_output=True, text=True, check=False
        )
        assert licensed.stdout.strip() == "true"
        org = subprocess.run(
            ["mdatp", "health", "--field", "org_id"], capture_output=True, text=True, check=False
        )
        assert org.stdout.strip() == f'"{ORG_ID}"'

        # 4. a second highstate changes nothing
        ret, states = apply(master, minion, "mde")
        assert all(state["result"] is True for state in states.values()), ret
        assert changed(states) == []

        # the full check with mdatp running: loopback probes only, `mdatp connectivity test`
        # is the stand-in's
        check = master.salt_cli(timeout=300).run("mdeprereq.check", minion_tgt=minion.id)
        assert "mdatp_connectivity_test" in check.data["checks"]["connectivity"]["facts"], check
        assert_probes_loopback_only(check.data)

    # 5. mde.remove leaves it clean
    ret, states = apply(master, minion, "mde.remove")
    failed = {sid: state["comment"] for sid, state in states.items() if state["result"] is not True}
    assert failed == {}, failed
    assert machine_state() == bare
