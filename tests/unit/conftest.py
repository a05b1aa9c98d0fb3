"""Shared fixtures of the unit tests: a fake machine (a root tree plus a fake /proc).

Every check reads the machine through :class:`mdeprereq_engine.host.Host`, so a test builds the
files it needs under ``tmp_path`` with :class:`FakeMachine` and hands ``machine.host()`` to the
check. Nothing here reads or changes the machine that runs the tests.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings
from tests.conftest import REPO_ROOT

FANOTIFY_LINK = "anon_inode:[fanotify]"

# What an fdinfo of an fd opened on a regular file, pipe or socket starts with; a fanotify fd's
# fdinfo has the same lines before its "fanotify" lines.
FDINFO_PREAMBLE = "pos:\t0\nflags:\t02004002\nmnt_id:\t15\nino:\t1057\n"


def ubuntu(version_id, version, codename):
    """Ubuntu's /etc/os-release of that release (the layout every Ubuntu since 18.04 ships)."""
    return f"""\
PRETTY_NAME="Ubuntu {version.split(" (")[0]}"
NAME="Ubuntu"
VERSION_ID="{version_id}"
VERSION="{version}"
VERSION_CODENAME={codename}
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME={codename}
"""


def debian(major, codename):
    """Debian's /etc/os-release of a stable release ``major`` (``codename``)."""
    return f"""\
PRETTY_NAME="Debian GNU/Linux {major} ({codename})"
NAME="Debian GNU/Linux"
VERSION_ID="{major}"
VERSION="{major} ({codename})"
VERSION_CODENAME={codename}
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""


UBUNTU_2204 = ubuntu("22.04", "22.04.4 LTS (Jammy Jellyfish)", "jammy")

DEBIAN_12 = debian("12", "bookworm")

RHEL_94 = """\
NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
ANSI_COLOR="0;31"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
HOME_URL="https://www.redhat.com/"
DOCUMENTATION_URL="https://access.redhat.com/documentation/en-us/red_hat_enterprise_linux/9"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
"""

MARINER_2 = """\
NAME="Common Base Linux Mariner"
VERSION="2.0.20240123"
ID=mariner
VERSION_ID="2.0"
PRETTY_NAME="CBL-Mariner/Linux"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/cbl-mariner"
BUG_REPORT_URL="https://aka.ms/cbl-mariner"
SUPPORT_URL="https://aka.ms/cbl-mariner"
"""

ARCH_LINUX = """\
NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
"""


def run_engine_code(code):
    """Run ``code`` in a fresh interpreter with ``_utils`` (the engine) on its path, as a minion
    imports it; its stdout. For what a fresh process imports: this one has imported everything."""
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "_utils")},
    )
    return completed.stdout


# A few complete os-release files for tests that need "some distribution of this family"
OS_RELEASES = {
    "ubuntu-22.04": UBUNTU_2204,
    "debian-12": DEBIAN_12,
    "rhel-9.4": RHEL_94,
    "mariner-2.0": MARINER_2,
    "arch": ARCH_LINUX,
}


def dpkg_paragraph(name, version, status="install ok installed", arch="amd64"):
    """One paragraph of /var/lib/dpkg/status as dpkg writes it."""
    return (
        f"Package: {name}\n"
        f"Status: {status}\n"
        "Priority: optional\n"
        "Section: libs\n"
        "Installed-Size: 1024\n"
        "Maintainer: Debian Maintainers <debian-devel@lists.debian.org>\n"
        f"Architecture: {arch}\n"
        f"Version: {version}\n"
        f"Description: the {name} package\n"
        " A long description whose continuation lines start with a space.\n"
        " Package: not-a-real-field\n"
    )


def fanotify_fdinfo(flags, event_flags="8000", marks=()):
    """The fdinfo text of a fanotify fd (``flags`` as the kernel prints it, in hex)."""
    lines = [FDINFO_PREAMBLE + f"fanotify flags:{flags} event-flags:{event_flags}"]
    lines.extend(marks)
    return "\n".join(lines) + "\n"


MNT_MARK = "fanotify mnt_id:1b mflags:0 mask:10000 ignored_mask:0"
INODE_MARK = (
    "fanotify ino:a0e sdev:800001 mflags:0 mask:10000 ignored_mask:0 "
    "fhandle-bytes:8 fhandle-type:1 f_handle:0e0a000000000000"
)
SDEV_MARK = "fanotify sdev:800001 mflags:0 mask:10000 ignored_mask:0"


class FakeMachine:
    """A fixture tree: ``root`` stands for ``/`` and ``proc`` for ``/proc``."""

    def __init__(self, base):
        self.root = Path(base) / "root"
        self.proc = Path(base) / "proc"
        self.root.mkdir(parents=True)
        self.proc.mkdir(parents=True)

    # -- files under root ------------------------------------------------------------------
    def write(self, path, text):
        """Write ``text`` to ``path`` (absolute, as on the machine) under root."""
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def mkdir(self, path):
        target = self.root / path.lstrip("/")
        target.mkdir(parents=True, exist_ok=True)
        return target

    def os_release(self, text):
        """Write /etc/os-release (text, or a key of :data:`OS_RELEASES`)."""
        return self.write("/etc/os-release", OS_RELEASES.get(text, text))

    def dpkg(self, packages):
        """Write /var/lib/dpkg/status: ``{name: version}`` or ``{name: (version, status)}``."""
        paragraphs = []
        for name, value in packages.items():
            version, status = value if isinstance(value, tuple) else (value, None)
            paragraphs.append(dpkg_paragraph(name, version, status or "install ok installed"))
        return self.write("/var/lib/dpkg/status", "\n".join(paragraphs))

    def passwd(self, *lines):
        base = [
            "root:x:0:0:root:/root:/bin/bash",
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
        ]
        return self.write("/etc/passwd", "\n".join([*base, *lines]) + "\n")

    def group(self, *lines):
        base = ["root:x:0:", "daemon:x:1:"]
        return self.write("/etc/group", "\n".join([*base, *lines]) + "\n")

    # -- the fake /proc --------------------------------------------------------------------
    def proc_write(self, path, text):
        target = self.proc / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def process(self, pid, comm, cmdline=(), exe=None, fds=None):
        """A process directory: comm, NUL-separated cmdline, exe symlink and fd symlinks.

        ``fds`` maps fd numbers to link targets (``FANOTIFY_LINK``, ``/dev/null``, ...); a
        process without ``fds`` still gets an (empty) fd directory.
        """
        pid_dir = self.proc / str(pid)
        (pid_dir / "fd").mkdir(parents=True, exist_ok=True)
        (pid_dir / "fdinfo").mkdir(exist_ok=True)
        (pid_dir / "comm").write_text(comm + "\n", encoding="utf-8")
        raw = b"".join(part.encode() + b"\0" for part in cmdline)
        (pid_dir / "cmdline").write_bytes(raw)
        if exe is not None:
            os.symlink(exe, pid_dir / "exe")
        for fd, target in (fds or {}).items():
            os.symlink(target, pid_dir / "fd" / str(fd))
        return pid_dir

    def fanotify_fd(self, pid, fd, flags, marks=(), event_flags="8000"):
        """Give process ``pid`` a fanotify fd ``fd`` with the given fdinfo."""
        pid_dir = self.proc / str(pid)
        os.symlink(FANOTIFY_LINK, pid_dir / "fd" / str(fd))
        (pid_dir / "fdinfo" / str(fd)).write_text(
            fanotify_fdinfo(flags, event_flags, marks), encoding="utf-8"
        )

    def mountinfo(self, *lines):
        return self.proc_write("self/mountinfo", "\n".join(lines) + "\n")

    # -- the Host ----------------------------------------------------------------------------
    def host(self, arch="x86_64", **kwargs):
        return Host(root=str(self.root), proc=str(self.proc), arch=arch, **kwargs)


def host_with_mounts(machine, monkeypatch, *mounts):
    """``machine.host()`` whose mount table is ``mounts`` (``host.Mount`` tuples)."""
    host = machine.host()
    monkeypatch.setattr(host, "mounts", list(mounts))
    return host


def under_root(machine, path):
    """Where ``path`` (absolute, as on the machine) is in ``machine``'s tree, as text."""
    return os.path.join(str(machine.root), path.lstrip("/"))


@pytest.fixture
def machine(tmp_path):
    """An empty fake machine under ``tmp_path``."""
    return FakeMachine(tmp_path)


@pytest.fixture
def default_settings():
    """Microsoft's defaults: nothing configured under ``mdeprereq:``."""
    return Settings.from_raw({})
