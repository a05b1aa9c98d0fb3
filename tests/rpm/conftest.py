"""Fixtures of the RPM/SUSE end-to-end tests: a cached Debian 12 tree with Debian's real rpm, dnf
and zypper and its own Salt, one overlay per distribution persona (os-release, a stand-in
``*-release`` RPM), and the signed local repositories of rpm_repo.py served on 127.0.0.1.

Pitfalls of running these tools on Debian (issue #16) and how each is handled here:

- Debian's rpm keeps its database under ``~/.rpmdb`` and its ``%__gpg`` is a missing ``gpg2``:
  ``/etc/rpm/macros`` in the tree sets ``%_dbpath /var/lib/rpm`` (RHEL's) and ``%__gpg``.
- A Debian root has no ``/etc/yum.repos.d`` and Salt refuses to create it: the layer makes it.
- dnf can't detect ``$releasever`` without a package providing ``system-release(releasever)``:
  each persona installs a stand-in ``<distro>-release`` RPM (which also keeps zypper's
  ``rpmdb2solv`` from failing on a nearly empty rpmdb).
- Debian's ``dnf.conf`` (``skip_if_unavailable=True``, ``best=False``) hides broken
  repositories: the layer writes RHEL's defaults.
- Salt needs ``/proc``: ``rootfs.chroot_mounts``.
- librepo and zypper may start gpg-agents inside the chroot: salt-call runs in its own PID
  namespace with its own ``/proc`` (what it leaves running ends with it, and the checks see the
  persona's processes, not the host's), and every process whose root is the overlay is stopped
  by its pid before the overlay is unmounted (``stop_processes_in``).
- The host's environment leaks into ``chroot``: ``rootfs.run_in`` clears it.
- pip in the tree needs the host's CA bundle: the tree installs Salt from a host-built
  wheelhouse with ``--no-index`` (no network at all), and ``rootfs`` copies the bundle in anyway.
"""

import contextlib
import dataclasses
import json
import os
import pathlib
import shutil
import signal
import subprocess
import time

import pytest
import yaml

from tests import rootfs
from tests.conftest import REPO_ROOT
from tests.rpm import rpm_repo

SALT_REQUIREMENTS = ("salt==3008.4", "packaging>=21")
EXTENSION_DIRS = ("_modules", "_grains", "_states", "_utils")
SRV = "/srv/mdeprereq"


def _rpm_layer_setup(root):
    """Make the tree's rpm, dnf and zypper behave as on RHEL/SLES, and give it its own Salt
    (3008.4 with ``packaging``, from the host-built wheelhouse, no network)."""
    from tests import rootfs

    requirements = ["salt==3008.4", "packaging>=21"]
    etc = root / "etc"
    (etc / "rpm").mkdir(exist_ok=True)
    (etc / "rpm/macros").write_text(
        "# mdeprereq tests: RHEL's rpmdb path (Debian's default is ~/.rpmdb), a gpg that exists\n"
        "%_dbpath /var/lib/rpm\n%__gpg /usr/bin/gpg\n"
    )
    (etc / "yum.repos.d").mkdir(exist_ok=True)
    (etc / "dnf").mkdir(exist_ok=True)
    (etc / "dnf/dnf.conf").write_text(
        "# mdeprereq tests: RHEL 9's dnf.conf defaults (Debian's hide broken repositories)\n"
        "[main]\ngpgcheck=1\ninstallonly_limit=3\nclean_requirements_on_remove=True\n"
        "best=True\nskip_if_unavailable=False\nreposdir=/etc/yum.repos.d\n"
    )
    rootfs.run_in(root, "rpm", "--initdb")
    wheels = rootfs.wheelhouse(requirements)
    shutil.copytree(wheels, root / "tmp/wheels")
    try:
        rootfs.run_in(root, "python3", "-m", "venv", "/opt/salt")
        rootfs.run_in(
            root,
            "/opt/salt/bin/pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            "/tmp/wheels",
            *requirements,
            timeout=900,
        )
    finally:
        shutil.rmtree(root / "tmp/wheels", ignore_errors=True)
    for name in ("salt-call",):
        (root / "usr/local/bin" / name).symlink_to(f"/opt/salt/bin/{name}")


RPM_LAYER = rootfs.Layer(
    "rpm-tools", packages=("rpm", "dnf", "zypper", "gnupg", "passwd"), setup=_rpm_layer_setup
)


@dataclasses.dataclass(frozen=True)
class Persona:
    """A distribution as the chroot pretends to be: its os-release, its release RPM."""

    id: str
    os_release: dict
    release_package: str
    release_provides: tuple
    manager: str  # what Salt drives: dnf, yum or zypper
    key: str = "microsoft"  # Microsoft's key file this release uses (repos.py's rows)

    @property
    def version(self):
        return self.os_release["VERSION_ID"]


# os-release fields as those releases ship them (freedesktop.org os-release; the distributions'
# own files: Rocky 9.4, RHEL 10.0, Amazon Linux 2, SLES 15 SP6)
PERSONAS = {
    "rocky9": Persona(
        "rocky9",
        {
            "NAME": "Rocky Linux",
            "VERSION": "9.4 (Blue Onyx)",
            "ID": "rocky",
            "ID_LIKE": "rhel centos fedora",
            "VERSION_ID": "9.4",
            "PLATFORM_ID": "platform:el9",
            "PRETTY_NAME": "Rocky Linux 9.4 (Blue Onyx)",
        },
        "rocky-release",
        ("system-release", "system-release(releasever) = 9", "redhat-release"),
        "dnf",
    ),
    "rhel10": Persona(
        "rhel10",
        {
            "NAME": "Red Hat Enterprise Linux",
            "VERSION": "10.0 (Coughlan)",
            "ID": "rhel",
            "ID_LIKE": "centos fedora",
            "VERSION_ID": "10.0",
            "PLATFORM_ID": "platform:el10",
            "PRETTY_NAME": "Red Hat Enterprise Linux 10.0 (Coughlan)",
        },
        "redhat-release",
        ("system-release", "system-release(releasever) = 10"),
        "dnf",
        # the default support table lists RHEL 10 (2026-09-14 page); its repository is signed
        # with microsoft-2025.asc
        key="microsoft-2025",
    ),
    "amzn2": Persona(
        "amzn2",
        {
            "NAME": "Amazon Linux",
            "VERSION": "2",
            "ID": "amzn",
            "ID_LIKE": "centos rhel fedora",
            "VERSION_ID": "2",
            "PRETTY_NAME": "Amazon Linux 2",
        },
        "system-release",
        ("system-release(releasever) = 2",),
        "yum",
    ),
    "sles15": Persona(
        "sles15",
        {
            "NAME": "SLES",
            "VERSION": "15-SP6",
            "VERSION_ID": "15.6",
            "ID": "sles",
            "ID_LIKE": "suse",
            "PRETTY_NAME": "SUSE Linux Enterprise Server 15 SP6",
        },
        "sles-release",
        ("product()", "system-release(releasever) = 15.6"),
        "zypper",
    ),
}


def stop_processes_in(root):
    """Stop, by pid, every process whose root directory is ``root`` (gpg-agents that librepo
    and zypper start, anything the formula left running); returns what was stopped."""
    root = os.path.realpath(root)
    stopped = []
    for _ in range(50):
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{pid}/root") == root:
                    found.append(int(pid))
            except OSError:
                continue
        if not found:
            return stopped
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL if pid in stopped else signal.SIGTERM)
            except ProcessLookupError:
                continue
            stopped.append(pid)
        time.sleep(0.1)
    raise RuntimeError(f"processes in {root} did not stop: {found}")


class Chroot:
    """A persona's overlay, mounted, with the repository's Salt tree in place."""

    def __init__(self, root, persona):
        self.root = pathlib.Path(root)
        self.persona = persona

    def run(self, *argv, check=True, timeout=900):
        return rootfs.run_in(self.root, *argv, check=check, timeout=timeout)

    def salt_call(self, *args, pillar=None, timeout=900):
        """``salt-call --local`` inside; returns (returncode, the JSON return's ``local``)."""
        argv = ["salt-call", "--local", "--out", "json", "--log-level", "quiet", *args]
        if pillar is not None:
            argv.append(f"pillar={json.dumps(pillar)}")
        # In its own PID namespace with its own /proc: the checks see the persona's processes,
        # not the host's (another test's fapolicyd would otherwise decide the fanotify check),
        # and whatever it leaves running (gpg-agents) ends with it
        command = ["unshare", "--pid", "--fork", f"--mount-proc={self.root}/proc"]
        command += ["chroot", str(self.root), "env", "-i"]
        command += [f"{key}={value}" for key, value in rootfs.CHROOT_ENV.items()]
        done = subprocess.run(
            [*command, *argv], capture_output=True, text=True, timeout=timeout, check=False
        )
        try:
            data = json.loads(done.stdout)["local"]
        except (ValueError, KeyError) as err:
            raise AssertionError(
                f"salt-call {' '.join(args)}: no JSON\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            ) from err
        return done.returncode, data

    def write_pillar(self, pillar):
        (self.root / "srv/pillar/mde.sls").write_text(yaml.safe_dump(pillar))

    def rpm_query(self, name):
        done = self.run("rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}\\n", name, check=False)
        return done.stdout.split() if done.returncode == 0 else []

    def exists(self, path):
        return os.path.lexists(self.root / path.lstrip("/"))

    def passwd_has(self, name):
        text = (self.root / "etc/passwd").read_text()
        return any(line.split(":", 1)[0] == name for line in text.splitlines())

    def group_has(self, name):
        text = (self.root / "etc/group").read_text()
        return any(line.split(":", 1)[0] == name for line in text.splitlines())


def prepare_persona(root, persona, preinstalled):
    """Turn the overlay ``root`` into ``persona``: os-release, the ``preinstalled`` stand-in
    RPMs (its release package, bash's ``/bin/sh``), Salt's config."""
    etc = root / "etc"
    (etc / "os-release").unlink(missing_ok=True)
    (root / "usr/lib/os-release").unlink(missing_ok=True)
    (root / "usr/lib/os-release").write_text(
        "".join(f'{key}="{value}"\n' for key, value in persona.os_release.items())
    )
    (etc / "os-release").symlink_to("../usr/lib/os-release")
    for debian_marker in ("debian_version", "lsb-release"):
        (etc / debian_marker).unlink(missing_ok=True)
    for rpm in preinstalled:
        shutil.copyfile(rpm, root / "tmp" / rpm.name)
    rootfs.run_in(root, "rpm", "-i", "--nodeps", *(f"/tmp/{rpm.name}" for rpm in preinstalled))
    for rpm in preinstalled:
        (root / "tmp" / rpm.name).unlink()
    if persona.manager == "yum":
        # Debian has no yum: dnf answers under yum's name, as /usr/bin/yum does on RHEL 8+, and
        # dnf's own name is hidden so that Salt's yumpkg picks its yum code paths (_yum())
        # (Debian's /usr/bin/dnf is a symlink to dnf-3); like yum 3 it reads /etc/yum.conf
        dnf = root / "usr/bin/dnf"
        if not dnf.is_symlink():
            dnf.rename(root / "usr/bin/dnf-3")
        dnf.unlink(missing_ok=True)
        yum = root / "usr/bin/yum"
        yum.write_text(
            "#!/bin/sh\n# mdeprereq tests: Debian's dnf under yum's name, with yum's config\n"
            'exec /usr/bin/dnf-3 --config /etc/yum.conf "$@"\n'
        )
        yum.chmod(0o755)
        shutil.copyfile(etc / "dnf/dnf.conf", etc / "yum.conf")
    srv = root / SRV.lstrip("/")
    srv.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__")
    for name in EXTENSION_DIRS:
        shutil.copytree(REPO_ROOT / name, srv / "extension" / name, ignore=ignore)
    shutil.copytree(REPO_ROOT / "salt", srv / "salt", ignore=ignore)
    (root / "srv/pillar").mkdir(parents=True)
    (root / "srv/pillar/top.sls").write_text("base:\n  '*':\n    - mde\n")
    (etc / "salt").mkdir(exist_ok=True)
    (etc / "salt/minion").write_text(
        yaml.safe_dump(
            {
                "id": f"persona-{persona.id}",
                "file_client": "local",
                "file_roots": {"base": [f"{SRV}/extension", f"{SRV}/salt"]},
                "pillar_roots": {"base": ["/srv/pillar"]},
                "enable_fqdns_grains": False,
            }
        )
    )


@pytest.fixture(scope="session")
def rpm_tree():
    """The cached tree (base + rpm tools + Salt); built when absent (root only)."""
    missing = [tool for tool in rpm_repo.TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: tools/debian-packages.txt lists them")
    return rootfs.debian_rootfs(RPM_LAYER)


@pytest.fixture(scope="session")
def signing_keys():
    """Throwaway keys: stand-ins for microsoft.asc and microsoft-2025.asc, another key (a
    repository signed with it must be refused) and the personas' distribution key."""
    keys = {}
    try:
        for name in ("microsoft", "microsoft-2025", "other", "distribution"):
            keys[name] = rpm_repo.SigningKey(
                f"mdeprereq TEST DOUBLE {name} key (throwaway) <mdeprereq-tests@example.invalid>"
            )
        yield keys
    finally:
        for key in keys.values():
            key.close()


@pytest.fixture(scope="session")
def served_root(tmp_path_factory):
    """The directory served on 127.0.0.1 (replaces https://packages.microsoft.com) and its URL."""
    root = tmp_path_factory.mktemp("pmc")
    with rpm_repo.served(root) as url:
        yield root, url


@pytest.fixture(scope="session")
def proxy_server(served_root):
    """A stand-in forward proxy on 127.0.0.1 (absolute-URI requests answered from the served
    root) and its request log: proves the package manager went through mdeprereq:proxy."""
    requests = []
    with rpm_repo.served(served_root[0], requests) as url:
        yield url, requests


@pytest.fixture(scope="session")
def built_rpms(tmp_path_factory):
    """The mdatp stand-in in every version, and the personas' stand-in packages."""
    out = tmp_path_factory.mktemp("rpms")
    from tests.rpm.test_rpm_formula import MDATP_VERSIONS

    mdatp = {version: rpm_repo.build_mdatp(out / "mdatp", version) for version in MDATP_VERSIONS}
    releases = {
        persona.id: rpm_repo.build_standin(
            out / persona.id,
            persona.release_package,
            persona.version,
            provides=persona.release_provides,
            note="Provides system-release(releasever) so dnf and zypper know the release.",
        )
        for persona in PERSONAS.values()
    }
    glibc = rpm_repo.build_standin(
        out / "base",
        "glibc",
        "2.34",
        note="The chroot's real glibc is Debian's; this is what the persona's rpmdb lists.",
    )
    # scriptlets need /bin/sh, which bash provides on RHEL and SLES (the chroot's is Debian's)
    bash = rpm_repo.build_standin(
        out / "base", "bash", "5.1.8", provides=("/bin/sh",), note="The chroot's sh is dash."
    )
    # what mdeprereq.isolation_tools_installed installs from the distribution's repository:
    # iptables (EL 7/8, Amazon Linux 2, SUSE) or iptables-nft (EL 9+), with the commands the
    # isolation check looks for (the real packages' paths: /usr/sbin/ip{,6}tables[-nft])
    isolation = [
        rpm_repo.build_rpm(
            out / "base",
            name,
            "1.8.10",
            summary=f"TEST DOUBLE stand-in for the distribution's {name} (mdeprereq tests)",
            description=f"Stand-in {name}: its commands only say they are a test double.",
            files={f"/usr/sbin/{command}": (ISOLATION_STUB, 0o755) for command in commands},
        )
        for name, commands in (
            ("iptables", ("iptables", "ip6tables")),
            ("iptables-nft", ("iptables-nft", "ip6tables-nft")),
        )
    ]
    return {
        "mdatp": mdatp,
        "releases": releases,
        "glibc": glibc,
        "bash": bash,
        "isolation": isolation,
    }


ISOLATION_STUB = (
    "#!/bin/sh\necho 'TEST DOUBLE of iptables (mdeprereq tests): not the real tool' >&2\nexit 1\n"
)


@pytest.fixture(scope="session")
def host_snapshot():
    """What the suite could change on the host, before it ran (compared at the end)."""
    return host_state()


def _tree_digest(path):
    path = pathlib.Path(path)
    if not path.exists():
        return None
    entries = []
    for entry in sorted([path, *path.rglob("*")]):
        try:
            info = entry.lstat()
        except OSError:
            continue
        entries.append((str(entry), info.st_mode, info.st_size, int(info.st_mtime)))
    return entries


# What rpm, dnf and zypper would change on the host if anything escaped the chroot (nobody
# else's tests touch these); the product's own paths and the mdatp account are shared with
# tests/e2e, which may run at the same time on a developer's machine: host_markers() looks
# there for this suite's own values instead.
HOST_PATHS = (
    "/etc/yum.repos.d",
    "/etc/zypp",
    "/etc/dnf",
    "/etc/rpm",
    "/etc/pki/rpm-gpg",
    "/var/lib/rpm",
    "/usr/lib/sysimage/rpm",
    "/root/.rpmdb",
    "/var/cache/dnf",
    "/var/cache/zypp",
    "/var/lib/zypp",
)


def host_markers(org_id, account_id, server_url):
    """This suite's values found on the host (an empty list when none): the onboarding blob's
    org id under /etc/opt/microsoft, the chroot's mdatp uid/gid in the host's passwd/group, a
    repository file pointing at this suite's server."""
    found = []
    for directory, marker in (
        ("/etc/opt/microsoft", org_id),
        ("/etc/yum.repos.d", server_url),
        ("/etc/zypp/repos.d", server_url),
    ):
        for path in sorted(pathlib.Path(directory).rglob("*")):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                if path.is_file() and marker in path.read_text():
                    found.append(str(path))
    for path in ("/etc/passwd", "/etc/group"):
        for line in pathlib.Path(path).read_text().splitlines():
            if line.split(":")[2:3] == [str(account_id)]:
                found.append(f"{path}: {line}")
    return found


def host_state():
    """The host's rpm databases and package manager paths, and the mounts and processes in
    this suite's overlays."""
    # only this suite's overlays: other suites share the cache and may be running
    cache = str(rootfs.CACHE / "rpm-persona-")
    with open("/proc/self/mountinfo") as mountinfo:
        mounts = sorted(line.split()[4] for line in mountinfo if line.split()[4].startswith(cache))
    inside = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/root").startswith(cache):
                inside.append(pid)
        except OSError:
            continue
    return {
        "paths": {path: _tree_digest(path) for path in HOST_PATHS},
        "mounts_under_cache": mounts,
        "processes_in_cache": inside,
    }
