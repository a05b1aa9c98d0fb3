"""The README's two set-up commands on a bare Debian 12, as a newcomer runs them.

A bare machine as issue #18 describes it: debootstrap's minbase with only ``python3``,
``python3-venv``, ``git`` and ``ca-certificates`` (``BARE_PACKAGES``; no compiler, no Python
headers), as root. Into it: a ``git clone`` of this repository's committed HEAD (so nothing
untracked or uncommitted leaks in), the host's CA bundle (the package registries are reached
through a TLS proxy whose CA is in it: ``rootfs.install_host_ca``). Then, in a chroot with a clean
environment (``env -i``, ``rootfs.run_in``):

- ``tools/check`` must bootstrap (the ``[check]`` Debian packages, then ``.venv`` with Salt built
  by pip, ``timelib`` from its sdist with gcc) and print every verdict, exiting 1: a chroot has no
  systemd as PID 1, so the machine is not ready (README, "Set-up");
- ``tools/test`` must bootstrap the ``[test]`` packages and the test requirements, run ruff and
  pytest. Not the whole suite (that would double CI's time): ``tests/newcomer/test_tools.py``
  (the bootstrap's errors, the outputter on a terminal, ``tools/check`` into a pipe) and
  ``tests/unit/test_versions.py``, selected as a newcomer would pass pytest arguments.

What it does not prove: the destructive, integration and e2e tests inside the tree, Debian 13
(checked by hand, see README), a machine without Debian's mirror or PyPI.

The tree is cached (``tests/rootfs.py``); each run works on an overlay of it and builds ``.venv``
from nothing, so it measures the cold bootstrap every time. Needs root, debootstrap, Debian's
mirror and PyPI.
"""

import json
import shlex
import subprocess
import time

import pytest

from tests import rootfs
from tests.conftest import REPO_ROOT, assert_check_schema, assert_probes_loopback_only, is_root
from tests.newcomer.test_tools import debian_packages

pytestmark = [pytest.mark.destructive_test, pytest.mark.skip_if_not_root]

# The bare machine of issue #18; debootstrap --variant=minbase --include=<these>
BARE_PACKAGES = ("ca-certificates", "git", "python3", "python3-venv")
CLONE = "/root/mdeprereq"
# tools/check's connectivity check would probe Microsoft's servers: point it at a closed
# loopback port instead (tests send traffic to loopback only). Salt reads minion.d/*.conf next
# to the minion config that tools/check writes itself.
LOOPBACK_ONLY = "mdeprereq:\n  connectivity:\n    urls: ['https://127.0.0.1:1/']\n    timeout: 3\n"
TEST_SELECTION = (
    "-p",
    "no:cacheprovider",
    "tests/newcomer/test_tools.py",
    "tests/unit/test_versions.py",
)


def installed(root, packages):
    """The subset of ``packages`` that dpkg says is installed in ``root``."""
    done = rootfs.run_in(
        root, "dpkg-query", "-W", "-f=${Package} ${Status}\\n", *packages, check=False
    )
    return {line.split()[0] for line in done.stdout.splitlines() if line.endswith(" installed")}


def in_clone(root, command, timeout=900):
    """``command`` (a shell line) run from the clone's top, as the README says; with its time."""
    started = time.monotonic()
    done = rootfs.run_in(root, "sh", "-c", f"cd {CLONE} && {command}", check=False, timeout=timeout)
    return done, time.monotonic() - started


@pytest.fixture(scope="module")
def bare_debian(tmp_path_factory):
    """An overlay of the cached bare Debian 12 with a clone of this repository, mounted for the
    module's tests (in order) and unmounted at the end."""
    if not is_root():
        pytest.skip("needs root")
    if subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse"], capture_output=True, check=False
    ).returncode:
        pytest.skip("not a git checkout: nothing to clone")
    started = time.monotonic()
    tree = rootfs.debian_rootfs(base_packages=BARE_PACKAGES, base_name="newcomer-bare")
    print(f"bare Debian 12 tree: {time.monotonic() - started:.0f} s")
    work = rootfs.scratch_dir("newcomer-")
    try:
        with rootfs.overlay(tree, work) as root, rootfs.chroot_mounts(root):
            # No daemon a test package brings (tinyproxy, fapolicyd) may start on this host's
            # kernel: policy-rc.d as a tree build has it (the bare machine's own apt would start it)
            policy = root / "usr/sbin/policy-rc.d"
            policy.write_text(rootfs.POLICY_RC_D)
            policy.chmod(0o755)
            subprocess.run(
                ["git", "clone", "-q", "--no-hardlinks", str(REPO_ROOT), str(root) + CLONE],
                check=True,
                capture_output=True,
                timeout=300,
            )
            minion_d = root / CLONE.lstrip("/") / ".local/salt/minion.d"
            minion_d.mkdir(parents=True)
            (minion_d / "loopback-only.conf").write_text(LOOPBACK_ONLY)
            yield root
    finally:
        subprocess.run(["rm", "-rf", "--one-file-system", str(work)], check=False)


def test_bare_tree_is_the_issues_bare_machine(bare_debian):
    assert installed(bare_debian, BARE_PACKAGES) == set(BARE_PACKAGES)
    # No compiler, no headers: what made tools/check fail on a bare machine (issue #18)
    assert not installed(bare_debian, ("gcc", "libc6-dev", "python3-dev"))
    assert not (bare_debian / CLONE.lstrip("/") / ".venv").exists()


def test_check_bootstraps_and_prints_every_verdict(bare_debian):
    _, check_packages, _ = debian_packages("check")
    missing = [
        package
        for package in check_packages
        if package not in installed(bare_debian, check_packages)
    ]
    done, seconds = in_clone(bare_debian, "tools/check")
    print(f"tools/check, cold: {seconds:.0f} s")
    assert f"installing Debian packages: {' '.join(missing)}" in done.stderr, done.stderr
    assert "ModuleNotFoundError" not in done.stderr
    assert installed(bare_debian, check_packages) == set(check_packages)
    # Into a pipe: Salt's nested outputter, every check with its status
    for check_id in ("distro", "systemd", "connectivity", "mdatp_user"):
        assert f"    {check_id}:\n" in done.stdout, done.stdout
    assert "ready:\n        False" in done.stdout, done.stdout
    assert done.returncode == 1, done.stderr  # not ready: no systemd as PID 1 in a chroot


def test_check_json_verdicts_in_the_chroot(bare_debian):
    done, seconds = in_clone(bare_debian, "tools/check --out=json")
    print(f"tools/check --out=json, warm: {seconds:.0f} s")
    assert "installing" not in done.stderr, "the second run bootstraps nothing"
    result = json.loads(done.stdout)["local"]
    assert_check_schema(result)
    assert result["checks"]["distro"]["status"] == "pass", result["checks"]["distro"]
    assert result["checks"]["systemd"]["status"] == "fail"
    assert result["checks"]["connectivity"]["status"] == "fail"  # the closed loopback port
    assert_probes_loopback_only(result)
    assert result["ready"] is False
    assert done.returncode == 1


def test_check_shows_the_table_on_a_terminal_in_the_chroot(bare_debian):
    # script(1) (bsdutils, in every Debian) gives tools/check a terminal, as a person has
    done, _ = in_clone(bare_debian, "script -qec 'tools/check --no-color' /dev/null")
    lines = done.stdout.replace("\r", "").splitlines()
    assert lines[0].startswith("local: NOT READY ("), done.stdout
    assert lines[1].split() == ["STATUS", "CHECK", "MESSAGE", "FIX"], done.stdout
    assert any(line.split()[:2] == ["FAIL", "systemd"] for line in lines[2:]), done.stdout
    assert done.returncode == 1


def test_test_bootstraps_lints_and_runs_pytest(bare_debian):
    _, test_packages, _ = debian_packages("test")
    missing = [
        package for package in test_packages if package not in installed(bare_debian, test_packages)
    ]
    done, seconds = in_clone(bare_debian, "tools/test " + shlex.join(TEST_SELECTION))
    print(f"tools/test {' '.join(TEST_SELECTION)}, cold: {seconds:.0f} s")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    if missing:
        assert f"installing Debian packages: {' '.join(missing)}" in done.stderr, done.stderr
    assert installed(bare_debian, test_packages) == set(test_packages)
    assert "installing tests.txt into .venv" in done.stderr
    assert "ruff check and format" in done.stderr and "All checks passed!" in output
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
