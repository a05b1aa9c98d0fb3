"""The mde formula with the real dnf, rpm and zypper: from bare to an installed, onboarded and
configured mdatp, a second run that changes nothing, a pinned version, a repository signed with
another key refused before install (and a mirror that swaps both the key file and the
signatures, refused by the formula's fingerprint check), and ``mde.remove`` leaving the persona
clean.

Each persona is an overlay of a cached Debian 12 tree (conftest.py) whose os-release says Rocky
9, RHEL 10, Amazon Linux 2 or SLES 15, so that the tree's own Salt (3008.4, ``salt-call
--local``) loads its ``yumpkg`` or ``zypperpkg`` module, which drive Debian's real dnf 4, rpm
4.18 and zypper 1.14. The Amazon Linux 2 persona has dnf under yum's name (Debian ships no
yum), so Salt takes its yum code paths.

The product is a TEST DOUBLE (rpm_repo.py: a stand-in mdatp RPM, not Microsoft's package),
served with Microsoft's layout, taken from the engine's ``mdeprereq.repository``, from signed
local repositories on 127.0.0.1: the real package and cloud can't be reached from here. For the
same reason, and because a chroot has no systemd as PID 1, the pillar waives the connectivity
and systemd checks. Nothing here changes the host: test_host_untouched compares before/after.
"""

import contextlib
import json
import os
import shutil

import pytest

from tests import rootfs
from tests.e2e import fake_mdatp
from tests.rpm import rpm_repo
from tests.rpm.conftest import (
    PERSONAS,
    Chroot,
    host_markers,
    host_state,
    prepare_persona,
    stop_processes_in,
)

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

# Product versions in the repositories, oldest first (a pinned one, then an upgrade); builds of
# one and two months ago, which have not expired (every build expires 9 months after release)
MDATP_VERSIONS = (fake_mdatp.recent_version(2, patch=8), fake_mdatp.recent_version(1, patch=3))
ORG_ID = "0e2e0e2e-1616-4222-8333-944445555666"
ACCOUNT_ID = 47816  # inside the chroot only
ONBOARDING_BLOB = fake_mdatp.onboarding_blob(ORG_ID)  # once: each blob has its own packageGuid
WAIVERS = {
    "systemd": "a chroot has no systemd as PID 1",
    "connectivity": "test double: Microsoft's cloud can't be reached from here",
}
MANAGED = {"antivirusEngine": {"enforcementLevel": "real_time"}}
ONBOARD = "/etc/opt/microsoft/mdatp/mdatp_onboard.json"
MANAGED_JSON = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json"
# The served root's variants of Microsoft's site (same layout, different signatures):
# WRONG_KEY_FILE serves another key at the key's path (packages signed with the genuine one),
# SWAPPED another key there AND packages and metadata signed with it (a mirror that swapped both)
GENUINE, OTHER_KEY, UNSIGNED, WRONG_KEY_FILE = "pmc", "other-key", "unsigned", "wrong-key-file"
SWAPPED = "swapped-key"
INSIDERS = ("insiders-fast", "insiders-slow")
# What the real tools say when they refuse (dnf 4.14, zypper 1.14)
REFUSALS = {
    (OTHER_KEY, "dnf"): "GPG check FAILED",
    (OTHER_KEY, "yum"): "GPG check FAILED",
    (OTHER_KEY, "zypper"): "Signature verification failed for repomd.xml",
    (UNSIGNED, "zypper"): "Package is not signed",
}
# ... and the formula's fingerprint check (mdeprereq.key_trusted), before anything trusts the key
KEY_REFUSED = "not trusting the repository key"
KEY_SITES = (WRONG_KEY_FILE, SWAPPED)
BASE_REPO = "persona-base"


def daemon_in(chroot):
    """The stand-in wdavdaemon for the chroot's files (the CLI answers only while its daemon
    runs, as the real one: "Could not connect to the daemon"; a chroot has no systemd to start
    mdatp.service), stopped by its own pid when the block ends."""
    daemon = chroot.root / "opt/microsoft/mdatp/sbin/wdavdaemon"
    return fake_mdatp.daemon_running(
        daemon, env={**os.environ, "MDATP_TEST_ROOT": str(chroot.root)}
    )


def pillar(base_url, version=None, persona=None, key=None, channel=None, proxy=None):  # noqa: PLR0917
    """The formula's pillar; ``key``: the stand-in of the persona's Microsoft key the repository
    is signed with (its fingerprint set as a mirror's own, ``mdeprereq:repo:fingerprints``)."""
    repo = {"url": base_url}
    if key is not None:
        repo["fingerprints"] = {f"{persona.key}.asc": key.fingerprint}
    settings = {
        "repo": repo,
        "user": {"uid": ACCOUNT_ID, "gid": ACCOUNT_ID},
        "onboarding": {"contents": ONBOARDING_BLOB},
        "ignore": WAIVERS,
        "managed": MANAGED,
        "licensed_timeout": 20,
    }
    if version:
        settings["mdatp_version"] = version
    if channel:
        settings["channel"] = channel
    if proxy:
        settings["proxy"] = proxy
    return {"mdeprereq": settings}


def states_by_id(data):
    assert isinstance(data, dict), data
    return {state["__id__"]: state for state in data.values()}


def failed(states):
    return {sid: state["comment"] for sid, state in states.items() if state["result"] is not True}


def changed(states):
    return sorted(sid for sid, state in states.items() if state["changes"])


def applied(chroot, sls, pillar=None):
    """``state.apply sls`` in ``chroot`` (pillar ``pillar``): every state succeeded and salt-call
    exited 0; its states by id."""
    code, data = chroot.salt_call("state.apply", sls, pillar=pillar)
    states = states_by_id(data)
    assert failed(states) == {} and code == 0, json.dumps(failed(states), indent=1)
    return states


def base_repo_file(persona, url):
    """The persona's distribution repository (where the stand-in glibc is), as the distribution
    configures it: signed, its key already in the rpmdb."""
    if persona.manager == "zypper":
        path = f"/etc/zypp/repos.d/{BASE_REPO}.repo"
        text = (
            f"[{BASE_REPO}]\nname={BASE_REPO}\nenabled=1\nautorefresh=1\nbaseurl={url}\n"
            "type=rpm-md\ngpgcheck=1\n"
        )
    else:
        path = f"/etc/yum.repos.d/{BASE_REPO}.repo"
        text = f"[{BASE_REPO}]\nname={BASE_REPO}\nbaseurl={url}\nenabled=1\ngpgcheck=1\n"
    return path, text


@contextlib.contextmanager
def persona_chroot(persona, rpm_tree, built_rpms, signing_keys, served):
    """A mounted overlay turned into ``persona``; everything started inside is stopped by pid and
    the overlay unmounted and removed at the end."""
    served_dir, url = served
    work = rootfs.scratch_dir(f"rpm-persona-{persona.id}-")
    try:
        with rootfs.overlay(rpm_tree, work) as root, rootfs.chroot_mounts(root):
            try:
                prepare_persona(
                    root, persona, [built_rpms["releases"][persona.id], built_rpms["bash"]]
                )
                chroot = Chroot(root, persona)
                # the distribution's own key and repository (stand-in glibc and iptables)
                distribution = signing_keys["distribution"]
                base_dir = served_dir / "distribution" / persona.id
                base_rpms = [built_rpms["glibc"], *built_rpms["isolation"]]
                rpm_repo.publish(base_dir, base_rpms, distribution)
                key_file = root / "etc/pki/rpm-gpg/RPM-GPG-KEY-persona"
                key_file.parent.mkdir(parents=True, exist_ok=True)
                key_file.write_text(distribution.armored)
                chroot.run("rpm", "--import", "/etc/pki/rpm-gpg/RPM-GPG-KEY-persona")
                path, text = base_repo_file(persona, f"{url}/distribution/{persona.id}/")
                (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
                (root / path.lstrip("/")).write_text(text)
                chroot.write_pillar(pillar(f"{url}/{GENUINE}", persona=persona))
                code, synced = chroot.salt_call("saltutil.sync_all")
                assert code == 0, synced
                yield chroot
            finally:
                # gpg-agents librepo and zypper started, by pid, before the overlay is unmounted
                stopped = stop_processes_in(root)
                print(f"{persona.id}: stopped by pid before unmounting: {stopped}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def served_path(engine_url, base):
    """The path under the served root of a URL the engine made from ``mdeprereq:repo:url``."""
    assert engine_url.startswith(f"{base}/"), (engine_url, base)
    return engine_url.removeprefix(f"{base}/").rstrip("/")


def publish_microsoft(chroot, served, built_rpms, signing_keys):
    """Publish, where the engine says this persona's repository and key are, the genuine site
    (signed with the key the engine names), one signed with another key, one whose packages are
    unsigned, one serving another key file, and one that swapped both the key file and the
    signatures. Returns the engine's repository."""
    served_dir, url = served
    code, repo = chroot.salt_call("mdeprereq.repository")
    assert code == 0 and repo["supported"], repo
    base = f"{url}/{GENUINE}"
    # what the formula hands pkgrepo.managed and mdeprereq.key_trusted, relative to the mirror
    repo["path"] = served_path(repo["baseurl"], base)
    # the key file this release must use (RHEL 10: microsoft-2025.asc), signed with its stand-in;
    # the repository's gpgkey is the formula's own checked copy of it, never the mirror's URL
    name = f"{chroot.persona.key}.asc"
    assert [key["name"] for key in repo["keys"]] == [name], repo
    key_path = served_path(repo["keys"][0]["url"], base)
    assert key_path == f"keys/{name}", repo
    assert repo["key_files"] == [f"/etc/pki/rpm-gpg/mdeprereq-{name}"], repo
    assert repo["gpgkey"] == f"file:///etc/pki/rpm-gpg/mdeprereq-{name}", repo
    key = signing_keys[chroot.persona.key]
    other = signing_keys["other"]
    rpms = [built_rpms["mdatp"][version] for version in MDATP_VERSIONS]
    for site, signer, sign_packages, served_key in (
        (GENUINE, key, True, key),
        (OTHER_KEY, other, True, key),
        (UNSIGNED, key, False, key),
        (WRONG_KEY_FILE, key, True, other),
        (SWAPPED, other, True, other),
    ):
        rpm_repo.publish(
            served_dir / site / repo["path"], rpms, signer, sign_packages=sign_packages
        )
        key_file = served_dir / site / key_path
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(served_key.armored)
        if site == OTHER_KEY:
            # what zypper's --gpg-auto-import-keys would trust: the signer's key beside repomd.xml
            (served_dir / site / repo["path"] / "repodata/repomd.xml.key").write_text(
                signer.armored
            )
    # the insiders channels, where and under which package version the engine says
    channels = {}
    for channel in INSIDERS:
        chroot.write_pillar(pillar(base, MDATP_VERSIONS[-1], chroot.persona, key, channel))
        code, channel_repo = chroot.salt_call("mdeprereq.repository")
        assert code == 0 and channel_repo["channel"] == channel, channel_repo
        channel_repo["path"] = served_path(channel_repo["baseurl"], base)
        version, release = channel_repo["package_version"].rsplit("-", 1)
        ring = fake_mdatp.RELEASE_RINGS[channel]
        channel_rpm = rpm_repo.build_mdatp(
            served_dir / "build" / channel, version, release, release_ring=ring
        )
        rpm_repo.publish(served_dir / GENUINE / channel_repo["path"], [channel_rpm], key)
        channels[channel] = channel_repo
    # mde.remove reads the file pillar: the mirror's key fingerprint there too
    chroot.write_pillar(pillar(base, persona=chroot.persona, key=key))
    return repo, key, channels


def assert_bare(chroot, repo, key=None):
    assert chroot.rpm_query("mdatp") == []
    if key is not None:
        assert chroot.rpm_query(rpm_repo_key_name(key)) == [], "the repository key is left"
    for path in (*repo["key_files"], repo["record"], "/var/lib/mdeprereq"):
        assert not chroot.exists(path), f"{path} is left"
    assert not chroot.exists("/etc/opt/microsoft")
    assert not chroot.exists("/opt/microsoft")
    assert not chroot.passwd_has("mdatp") and not chroot.group_has("mdatp")
    assert not repo_files(chroot, repo)


def repo_files(chroot, repo):
    """The repository files naming Microsoft's repository id."""
    found = []
    for directory in ("etc/yum.repos.d", "etc/zypp/repos.d"):
        for path in sorted((chroot.root / directory).glob("*.repo")):
            if f"[{repo['name']}]" in path.read_text():
                found.append(path)
    return found


def assert_refused(chroot, site, served, version, key):
    code, data = chroot.salt_call(
        "state.apply", "mde", pillar=pillar(f"{served[1]}/{site}", version, chroot.persona, key)
    )
    states = states_by_id(data)
    assert code != 0, json.dumps(states, indent=1)[-3000:]
    assert states["mde-install-pkg-installed"]["result"] is False, json.dumps(failed(states))
    assert chroot.rpm_query("mdatp") == [], f"{site}: mdatp was installed"
    assert not chroot.exists("/usr/bin/mdatp")
    return states


@pytest.mark.parametrize("persona_id", list(PERSONAS))
def test_formula_with_real_package_manager(  # noqa: PLR0917 - pytest fixtures
    persona_id, rpm_tree, built_rpms, signing_keys, served_root, proxy_server, host_snapshot
):
    persona = PERSONAS[persona_id]
    old, new = MDATP_VERSIONS
    proxy, proxy_requests = proxy_server
    with persona_chroot(persona, rpm_tree, built_rpms, signing_keys, served_root) as chroot:
        repo, key, channels = publish_microsoft(chroot, served_root, built_rpms, signing_keys)
        assert repo["manager"] == persona.manager
        assert_bare(chroot, repo)

        # 1. refused before install: first a key file that is not the expected key, then a
        # mirror that swapped both the key file and the signatures (dnf and yum would install
        # from it, zypper trust it, if the key were taken as served: the fingerprint check
        # refuses both before the key is written, imported or named by any repository); then a
        # repository signed with another key, and on SUSE one whose metadata are signed but
        # whose packages are not. The fixing states run before: the first run's installed the
        # distribution's stand-in glibc from the persona's own repository, with the real
        # package manager.
        sites = [*KEY_SITES, OTHER_KEY]
        if persona.manager == "zypper":
            sites.append(UNSIGNED)
        key_state = f"mde-repo-key-trusted-{persona.key}.asc"
        for number, site in enumerate(sites):
            states = assert_refused(chroot, site, served_root, old, key)
            if number == 0:
                assert states["mde-prereqs-dependencies-installed"]["changes"]
                assert chroot.rpm_query("glibc") == ["2.34-1"]
                # the isolation tools' package of this release (isolation check's table)
                assert states["mde-prereqs-isolation-tools-installed"]["changes"]
                isolation = "iptables" if persona.id in ("amzn2", "sles15") else "iptables-nft"
                assert chroot.rpm_query(isolation) == ["1.8.10-1"]
            if site in KEY_SITES:
                comment = states[key_state]["comment"]
                assert states[key_state]["result"] is False, failed(states)
                assert KEY_REFUSED in comment, failed(states)
                assert key.fingerprint in comment and signing_keys["other"].fingerprint in comment
                assert states["mde-repo-pkgrepo-managed"]["result"] is False
                for other in (signing_keys["other"], key):
                    assert chroot.rpm_query(rpm_repo_key_name(other)) == []
                assert not chroot.exists(repo["key_files"][0])
                assert not repo_files(chroot, repo)
            else:
                comment = states["mde-install-pkg-installed"]["comment"]
                assert states["mde-repo-pkgrepo-managed"]["result"] is True, failed(states)
                assert states["mde-install-pkg-installed"]["result"] is False, failed(states)
                # refused for the right reason, in the real tools' words
                assert REFUSALS[site, persona.manager] in comment, comment
            print(f"{persona_id}: {site} refused: {comment[-300:]}")

        # 2. bare to installed (a pinned version), onboarded and configured
        states = applied(
            chroot, "mde", pillar(f"{served_root[1]}/{GENUINE}", old, persona, key, proxy=proxy)
        )
        assert chroot.rpm_query("mdatp") == [f"{old}-1"]
        # dnf's first install also reports the key it imported (gpg-pubkey): not exact changes
        assert "mdatp" in states["mde-install-pkg-installed"]["changes"]
        imported = chroot.rpm_query(rpm_repo_key_name(key))
        assert imported, "Microsoft's (stand-in) key is not in the rpmdb"
        for waived, reason in WAIVERS.items():
            assert f"{waived}: waived ({reason})" in states["mde-prereqs-satisfied"]["comment"]
        with daemon_in(chroot):
            licensed = chroot.run("mdatp", "health", "--field", "licensed").stdout.strip()
            org = chroot.run("mdatp", "health", "--field", "org_id").stdout.strip()
        assert licensed == "true"
        assert org == f'"{ORG_ID}"'
        assert (chroot.root / ONBOARD.lstrip("/")).stat().st_mode & 0o777 == 0o600
        managed = json.loads((chroot.root / MANAGED_JSON.lstrip("/")).read_text())
        assert managed == {**MANAGED, "cloudService": {"proxy": proxy}}
        # the proxy's fixing state set it for the package manager, which used it
        assert states["mde-prereqs-proxy-configured"]["changes"]
        if persona.manager == "zypper":
            # SUSE takes HTTPS_PROXY (Microsoft's repository is https): this http mirror is
            # fetched directly, so only the file is checked
            sysconfig = (chroot.root / "etc/sysconfig/proxy").read_text()
            assert f'HTTPS_PROXY="{proxy}"' in sysconfig and 'PROXY_ENABLED="yes"' in sysconfig
        else:
            package = f"{served_path(repo['baseurl'], served_root[1])}/Packages/m/mdatp-{old}-1"
            assert any(f"GET {served_root[1]}/{package}" in line for line in proxy_requests), (
                proxy_requests[-5:]
            )
        passwd = (chroot.root / "etc/passwd").read_text()
        assert f"mdatp:x:{ACCOUNT_ID}:{ACCOUNT_ID}:" in passwd
        # the repository file is where the engine says (zypper: named after the alias, as
        # Salt's zypperpkg writes it), and the formula's checked key file beside it
        assert repo_files(chroot, repo) == [chroot.root / repo["file"].lstrip("/")]
        assert chroot.exists(repo["key_files"][0])
        if persona.manager == "zypper":
            text = (chroot.root / repo["file"].lstrip("/")).read_text()
            assert "pkg_gpgcheck=1" in text.splitlines(), text

        # 3. a second run changes nothing
        states = applied(
            chroot, "mde", pillar(f"{served_root[1]}/{GENUINE}", old, persona, key, proxy=proxy)
        )
        assert changed(states) == []

        # 4. another pinned version: the formula upgrades to it
        states = applied(
            chroot, "mde", pillar(f"{served_root[1]}/{GENUINE}", new, persona, key, proxy=proxy)
        )
        assert chroot.rpm_query("mdatp") == [f"{new}-1"]
        assert changed(states) == ["mde-install-pkg-installed"]

        # 5. mde.remove leaves it clean
        states = applied(chroot, "mde.remove")
        assert_bare(chroot, repo, key)

        # 6. an insiders channel: its own repository and pinned package string, then removed
        channel = INSIDERS[0]
        channel_pillar = pillar(f"{served_root[1]}/{GENUINE}", new, persona, key, channel, proxy)
        states = applied(chroot, "mde", channel_pillar)
        assert chroot.rpm_query("mdatp") == [channels[channel]["package_version"]]
        with daemon_in(chroot):
            ring = chroot.run("mdatp", "health", "--field", "release_ring").stdout.strip()
        assert ring == '"InsiderFast"'
        assert repo_files(chroot, channels[channel])
        if persona.id == "rocky9":
            # 6b. another Microsoft product signed with the same key keeps the key installed
            other_product = rpm_repo.build_standin(
                served_root[0] / "build" / persona.id, "powershell", "7.4.6"
            )
            key.sign_rpm(other_product)
            shutil.copyfile(other_product, chroot.root / "tmp" / other_product.name)
            chroot.run("rpm", "-i", f"/tmp/{other_product.name}")
            states = applied(chroot, "mde.remove", channel_pillar)
            kept = states[f"mde-remove-rpm-key-absent-{persona.key}.asc"]
            assert kept["changes"] == {} and "still used by powershell" in kept["comment"]
            assert chroot.rpm_query(rpm_repo_key_name(key))
            chroot.run("rpm", "-e", "powershell")
        states = applied(chroot, "mde.remove", channel_pillar)
        assert_bare(chroot, channels[channel], key)
        assert_bare(chroot, repo, key)


def rpm_repo_key_name(key):
    return f"gpg-pubkey-{key.rpm_version}"


def test_host_untouched(host_snapshot, served_root):
    """After every persona: the host's rpm databases and package manager paths as before, none
    of this suite's values in the host's product paths, accounts or repositories, and no
    mount or process left in this suite's overlays."""
    assert host_markers(ORG_ID, ACCOUNT_ID, served_root[1]) == []
    after = host_state()
    changed_paths = {
        path: sorted(set(after["paths"][path] or ()) ^ set(host_snapshot["paths"][path] or ()))
        for path in after["paths"]
        if after["paths"][path] != host_snapshot["paths"][path]
    }
    assert changed_paths == {}
    assert after == host_snapshot
