"""The mde formula's repository beside Microsoft's own ``packages-microsoft-prod``, and an
insiders-fast install, end to end with a real salt-master, salt-minion and this machine's apt.

The host starts as many Azure images and hosts with PowerShell or .NET do: packages-microsoft-prod's
list ``/etc/apt/sources.list.d/microsoft-prod.list`` with no ``signed-by`` (its shape before Debian
12 / Ubuntu 24.04: pocoproject/poco#4994) and its key in ``/etc/apt/trusted.gpg.d``
(``microsoft-prod.gpg``), pointing at the local stand-in of packages.microsoft.com
(``apt_repo.py``: Microsoft's layout, throwaway keys). A second entry for the same source with
another signed-by would make apt fail for every package ("Conflicting values set for option
Signed-By"). The product is a TEST DOUBLE (``fake_mdatp.py``), not Microsoft's mdatp.
"""

import json
import pathlib
import subprocess

import pytest
from saltfactories.utils import random_string

from tests.conftest import free_account_id
from tests.e2e import fake_mdatp
from tests.e2e.conftest import MDATP_VERSIONS, formula_master

pytestmark = [
    pytest.mark.integration,
    pytest.mark.destructive_test,
    pytest.mark.skip_if_not_root,
]

# the newest build the e2e repository serves (builds of one and two months ago: never expired)
NEWEST = MDATP_VERSIONS[-1]
FOREIGN_LIST = pathlib.Path("/etc/apt/sources.list.d/microsoft-prod.list")
FOREIGN_KEY = pathlib.Path("/etc/apt/trusted.gpg.d/microsoft-prod.gpg")
OWN_INSIDERS_LIST = pathlib.Path("/etc/apt/sources.list.d/mdeprereq-microsoft-insiders-fast.list")
OWN_PROD_LIST = pathlib.Path("/etc/apt/sources.list.d/mdeprereq-microsoft-prod.list")
OWN_KEYRING = pathlib.Path("/usr/share/keyrings/mdeprereq-microsoft.gpg")
RECORD = pathlib.Path("/var/lib/mdeprereq/repository.json")
ORG_ID = "0e2e0e2e-2222-4222-8333-944445555777"
WAIVERS = {
    "systemd": "this CI has no systemd as PID 1",
    "connectivity": "test double: Microsoft's cloud can't be reached from here",
    # mde.prereqs would install iptables on this machine and nothing here would remove it;
    # tests/functional/test_isolation.py runs the real install (and purges it)
    "isolation": "this run installs nothing on the host but mdatp",
}
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C", "PATH": "/usr/sbin:/usr/bin:/bin"}


@pytest.fixture(scope="module")
def master(salt_factories, tmp_path_factory, mdatp_repo):
    account = free_account_id(48100)
    settings = {
        "repo": {"url": mdatp_repo.url, "fingerprints": mdatp_repo.fingerprints},
        "user": {"uid": account, "gid": account},
        "onboarding": {"contents": fake_mdatp.onboarding_blob(ORG_ID)},
        "ignore": WAIVERS,
        "licensed_timeout": 30,
    }
    with formula_master(salt_factories, tmp_path_factory, "repo-master-", settings) as factory:
        yield factory


@pytest.fixture(scope="module")
def minion(master):
    factory = master.salt_minion_daemon(
        random_string("repo-minion-"), overrides={"enable_fqdns_grains": False}
    )
    with factory.started():
        assert factory.salt_call_cli().run("saltutil.sync_all").returncode == 0
        yield factory


def apply(master, minion, sls, pillar=None):
    args = [f"pillar={json.dumps(pillar)}"] if pillar else []
    ret = master.salt_cli(timeout=600).run("state.apply", sls, *args, minion_tgt=minion.id)
    assert isinstance(ret.data, dict), ret
    states = {state["__id__"]: state for state in ret.data.values()}
    failed = {sid: state["comment"] for sid, state in states.items() if state["result"] is not True}
    assert failed == {}, failed
    return states


def run(*command):
    return subprocess.run(
        command, capture_output=True, text=True, check=False, env=APT_ENV, timeout=300
    )


def apt_update_works():
    """``apt-get update`` of this machine's whole configuration: exits 0, no conflict."""
    update = run(
        "apt-get", "-q", "-o", "Acquire::http::Proxy::127.0.0.1=DIRECT", "update"
    )  # fmt: skip
    output = update.stdout + update.stderr
    assert update.returncode == 0, output
    assert "Conflicting values" not in output, output
    return output


def installed():
    result = run("dpkg-query", "-W", "-f=${Status} ${Version}", "mdatp")
    if result.returncode != 0 or "not-installed" in result.stdout:
        return None
    return result.stdout.rsplit(" ", 1)[-1]


@pytest.fixture
def packages_microsoft_prod(mdatp_repo, mdatp_cleanup):
    """packages-microsoft-prod's list (no signed-by) and key, as on Debian 11 / Ubuntu 22.04,
    for the stand-in repository; ``{path: bytes}`` to compare with later."""
    for path in (FOREIGN_LIST, FOREIGN_KEY, OWN_PROD_LIST, OWN_INSIDERS_LIST, OWN_KEYRING, RECORD):
        assert not path.exists(), f"{path} exists already: this test needs a host without it"
    if not RECORD.parent.exists():
        mdatp_cleanup.track(RECORD.parent)
    arches = "amd64,arm64,armhf"
    FOREIGN_LIST.write_text(
        f"deb [arch={arches}] {mdatp_repo.channel_url()} {mdatp_repo.codename} main\n"
    )
    FOREIGN_KEY.write_bytes(mdatp_repo.binary_key_path.read_bytes())
    FOREIGN_KEY.chmod(0o644)
    return {path: path.read_bytes() for path in (FOREIGN_LIST, FOREIGN_KEY)}


def assert_untouched(foreign):
    for path, content in foreign.items():
        assert path.read_bytes() == content, f"{path} changed"


def test_beside_packages_microsoft_prod(master, minion, mdatp_repo, packages_microsoft_prod):
    foreign = packages_microsoft_prod
    apt_update_works()

    # 1. prod: Microsoft's existing source serves it: used as it is, nothing added
    states = apply(master, minion, "mde")
    comment = states["mde-repo-pkgrepo-managed"]["comment"]
    assert f"already configured in {FOREIGN_LIST}" in comment, comment
    assert "mde-repo-key-trusted" not in states
    assert installed() == NEWEST  # the newest prod build
    assert not OWN_PROD_LIST.exists() and not OWN_KEYRING.exists()
    assert_untouched(foreign)
    apt_update_works()

    # 2. mde.remove removes mdatp and nothing of Microsoft's package
    apply(master, minion, "mde.remove")
    assert installed() is None
    assert_untouched(foreign)
    apt_update_works()

    # 3. insiders-fast, a suite of the same prod repository: the formula's own list (another
    #    suite, so no Signed-By conflict), installed with the suite as target release
    states = apply(master, minion, "mde", {"mdeprereq": {"channel": "insiders-fast"}})
    assert OWN_INSIDERS_LIST.read_text().strip() == (
        f"deb [arch=amd64 signed-by={OWN_KEYRING}] {mdatp_repo.channel_url()} insiders-fast main"
    )
    assert installed() == f"{NEWEST}-insiderfast"
    with fake_mdatp.daemon_running():  # the CLI answers only while its daemon runs
        ring = run("mdatp", "health", "--field", "release_ring").stdout.strip().splitlines()[-1]
    assert ring == '"InsiderFast"'
    assert json.loads(RECORD.read_text()) == {"files": [str(OWN_INSIDERS_LIST), str(OWN_KEYRING)]}
    assert_untouched(foreign)
    apt_update_works()

    # 4. mde.remove: the formula's own list, keyring and record go; Microsoft's stay
    apply(master, minion, "mde.remove", {"mdeprereq": {"channel": "insiders-fast"}})
    assert installed() is None
    for path in (OWN_INSIDERS_LIST, OWN_KEYRING, RECORD):
        assert not path.exists(), path
    assert_untouched(foreign)
    apt_update_works()


def test_a_conflicting_signed_by_is_refused_before_any_change(
    master, minion, mdatp_repo, mdatp_cleanup
):
    """Two existing entries for the same source disagree on Signed-By (microsoft/mdatp-xplat#182):
    the formula refuses, naming both files, and changes nothing."""
    lists = {
        pathlib.Path("/etc/apt/sources.list.d/microsoft-prod.list"): "/usr/share/keyrings/a.gpg",
        pathlib.Path("/etc/apt/sources.list.d/intune.list"): "/usr/share/keyrings/b.gpg",
    }
    for path, keyring in lists.items():
        assert not path.exists(), path
        path.write_text(f"deb [signed-by={keyring}] {mdatp_repo.channel_url()} bookworm main\n")
    before = {path: path.read_bytes() for path in lists}
    ret = master.salt_cli(timeout=600).run("state.apply", "mde", minion_tgt=minion.id)
    states = {state["__id__"]: state for state in ret.data.values()}
    refused = states["mde-repo-beside-checked"]
    assert refused["result"] is False
    assert states["mde-repo-pkgrepo-managed"]["result"] is False
    for path in lists:
        assert str(path) in refused["comment"]
    changed = {sid: state["changes"] for sid, state in states.items() if state["changes"]}
    assert changed == {}
    assert installed() is None
    assert not OWN_PROD_LIST.exists() and not OWN_KEYRING.exists() and not RECORD.exists()
    assert {path: path.read_bytes() for path in lists} == before


def test_a_channel_switch_is_refused_then_done_when_allowed(
    master, minion, mdatp_repo, mdatp_cleanup
):
    """Switching channel means uninstalling and reinstalling (Microsoft's repositories page):
    refused without ``mdeprereq:channel_switch``, with it the prod build is removed and the
    insiders-fast one installed in the same highstate, and a second run changes nothing."""
    if not RECORD.parent.exists():
        mdatp_cleanup.track(RECORD.parent)
    apply(master, minion, "mde")
    assert installed() == NEWEST  # prod

    fast = {"mdeprereq": {"channel": "insiders-fast"}}
    ret = master.salt_cli(timeout=600).run("state.apply", "mde", f"pillar={json.dumps(fast)}",
                                           minion_tgt=minion.id)  # fmt: skip
    states = {state["__id__"]: state for state in ret.data.values()}
    refused = states["mde-install-channel-kept"]
    assert refused["result"] is False, refused
    assert "Refusing to switch mdatp from channel prod to insiders-fast" in refused["comment"]
    assert installed() == NEWEST, "a refused switch leaves the prod build in place"

    switch = {"mdeprereq": {"channel": "insiders-fast", "channel_switch": True}}
    states = apply(master, minion, "mde", switch)
    kept = states["mde-install-channel-kept"]
    assert kept["changes"]["channel"] == {"old": "prod", "new": "insiders-fast"}, kept
    assert "Removed mdatp (channel prod)" in kept["comment"]
    assert installed() == f"{NEWEST}-insiderfast"

    again = apply(master, minion, "mde", switch)
    assert "already from channel insiders-fast" in again["mde-install-channel-kept"]["comment"]
    changed = {sid: state["changes"] for sid, state in again.items() if state["changes"]}
    assert changed == {}, changed

    apply(master, minion, "mde.remove", fast)
    assert installed() is None
