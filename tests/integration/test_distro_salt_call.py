"""``salt-call --local mdeprereq.distro root=<tree>`` from the checkout, on fixture trees laid out
as the distributions ship them: the verdict and the exit code an admin sees."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

SALT_CALL = os.path.join(os.path.dirname(sys.executable), "salt-call")

# /usr/lib/os-release of Debian 13's base-files 13.8+deb13u8 (pool/main/b/base-files on Debian's
# mirror); /etc/os-release is a relative symlink to it, as that package installs it
DEBIAN_13_OS_RELEASE = """\
PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.8
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""


def tree(base, os_release):
    """A root with ``usr/lib/os-release`` and ``etc/os-release -> ../usr/lib/os-release``."""
    (base / "usr/lib").mkdir(parents=True)
    (base / "usr/lib/os-release").write_text(os_release)
    (base / "etc").mkdir()
    os.symlink("../usr/lib/os-release", base / "etc/os-release")
    return base


def distro(config_dir, root, *args):
    completed = subprocess.run(
        [
            SALT_CALL,
            "--local",
            f"--config-dir={config_dir}",
            f"--module-dirs={REPO_ROOT}",
            "--out=json",
            "mdeprereq.distro",
            f"root={root}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return json.loads(completed.stdout)["local"], completed.returncode


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_debian_13_passes(config_dir, tmp_path, arch):
    root = tree(tmp_path / "trixie", DEBIAN_13_OS_RELEASE)
    entry, returncode = distro(config_dir, root, f"arch={arch}")
    assert entry["status"] == "pass", entry
    assert entry["message"].startswith("Debian GNU/Linux 13 on ")
    assert entry["facts"]["level"] == "listed"
    assert returncode == 0


def test_debian_14_fails_with_a_non_zero_exit_code(config_dir, tmp_path):
    forky = DEBIAN_13_OS_RELEASE.replace("13", "14").replace("trixie", "forky")
    entry, returncode = distro(config_dir, tree(tmp_path / "forky", forky))
    assert entry["status"] == "fail"
    assert "2026-09-14" in entry["remediation"]
    assert returncode == 1


def test_a_derived_system_warns_and_exits_zero(config_dir, tmp_path):
    mint = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22.1"\n'
    entry, returncode = distro(config_dir, tree(tmp_path / "mint", mint))
    assert entry["status"] == "warn"
    assert entry["facts"]["level"] == "derived"
    assert returncode == 0
