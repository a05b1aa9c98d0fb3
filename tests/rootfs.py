"""Cached Debian root filesystems for the tests that need a whole machine or a chroot.

The systemd machines (``tests/machines``), the RPM/SUSE personas and the bare-Debian newcomer
test all start from a debootstrapped Debian 12. Building one takes minutes, so each tree is
built once and cached **outside the clone**, keyed by the hash of its recipe (the suite, the
package lists and the source of every setup step): change a recipe and the next run builds a
new tree, and drops an old one of the same name once nothing is mounted from it and no run has
taken it for six hours (a concurrent run of another checkout may still use it); delete the cache
and everything is rebuilt.

    base = rootfs.debian_rootfs()                               # minbase + python3, venv, CA
    tree = rootfs.debian_rootfs(rootfs.Layer("rpm", packages=("rpm", "dnf")))
    bare = rootfs.debian_rootfs(base_packages=("python3",), base_name="bare")  # another base
    with rootfs.overlay(tree, tmp_path) as root, rootfs.chroot_mounts(root):
        rootfs.run_in(root, "rpm", "--version")

A cached tree is shared and must not be changed: work on an ``overlay()`` of it (or a copy).

Where things live (README, "Tests"): ``$MDEPREREQ_TEST_CACHE`` or ``/var/cache/mdeprereq-tests``;
``rm -rf`` it to clear. Building needs root, ``debootstrap`` and Debian's mirror (the one this
machine's apt uses). The package registries here are reached through a TLS proxy whose CA is in
the host's ``/etc/ssl/certs/ca-certificates.crt``: ``install_host_ca()`` copies that bundle into a
tree so that pip inside it can reach PyPI.
"""

import contextlib
import dataclasses
import fcntl
import hashlib
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

CACHE = pathlib.Path(os.environ.get("MDEPREREQ_TEST_CACHE", "/var/cache/mdeprereq-tests"))
SUITE = "bookworm"
# Exempt from the loopback-only rule (tests/conftest.py), as the registries are: debootstrap,
# apt and pip in these trees reach Debian's mirror and PyPI (subprocesses, not this process)
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# What every tree has: enough for a Python virtualenv and TLS to PyPI.
BASE_PACKAGES = ("ca-certificates", "python3", "python3-venv")
HOST_CA_BUNDLE = pathlib.Path("/etc/ssl/certs/ca-certificates.crt")
# A clean environment for commands inside a tree: nothing of the host's leaks in (the host's
# PIP_*, proxies and virtualenv would change what pip and apt do there).
CHROOT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "DEBIAN_FRONTEND": "noninteractive",
}
# While a tree is built, no package may start a daemon: it would run on this host's kernel,
# outside any container (policy-rc.d, Debian Policy 9.3.3).
POLICY_RC_D = "#!/bin/sh\n# mdeprereq tests: no daemon starts while this tree is built\nexit 101\n"


class RootfsError(RuntimeError):
    """A tree could not be built or used; the message says which command failed and why."""


@dataclasses.dataclass(frozen=True)
class Layer:
    """One step on top of the base tree: Debian ``packages`` installed with apt inside it, then
    ``setup(root)`` run on the host with the tree's path. ``name`` names the cache entry; the
    hash covers the packages and the setup's source, so editing either rebuilds the layer."""

    name: str
    packages: tuple = ()
    setup: Callable[[pathlib.Path], None] | None = None

    def recipe(self):
        setup_source = inspect.getsource(self.setup) if self.setup else ""
        return f"layer {self.name}\npackages {' '.join(sorted(self.packages))}\n{setup_source}"


def host_mirror():
    """The Debian mirror this machine's apt uses (deb822 ``URIs:`` or a ``deb`` line)."""
    for path in [
        *sorted(pathlib.Path("/etc/apt").glob("sources.list.d/*")),
        pathlib.Path("/etc/apt/sources.list"),
    ]:
        with contextlib.suppress(OSError):
            text = path.read_text()
            match = re.search(r"^URIs:\s*(\S+/debian)/?\s*$", text, re.M) or re.search(
                r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s+", text, re.M
            )
            if match:
                return match.group(1)
    return DEFAULT_MIRROR


def _recipe_hash(*parts):
    digest = hashlib.sha256()
    digest.update(inspect.getsource(_build_base).encode())
    digest.update(inspect.getsource(_build_layer).encode())
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _run(argv, *, timeout=1200, env=None, what=None):
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise RootfsError(f"{what or argv[0]} took longer than {timeout} s") from err
    if done.returncode:
        tail = (done.stderr or done.stdout)[-3000:]
        raise RootfsError(f"{what or ' '.join(map(str, argv))} failed ({done.returncode}):\n{tail}")
    return done


def run_in(root, *argv, env=None, timeout=1200, check=True):
    """Run ``argv`` inside ``root`` with ``chroot`` and a clean environment (``CHROOT_ENV`` plus
    ``env``). Returns the CompletedProcess; raises RootfsError when ``check`` and it fails."""
    command = ["chroot", str(root), "env", "-i"]
    command += [f"{key}={value}" for key, value in {**CHROOT_ENV, **(env or {})}.items()]
    command += [str(arg) for arg in argv]
    if check:
        return _run(command, timeout=timeout, what=f"{' '.join(map(str, argv))} in {root}")
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _is_mount(path):
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as mountinfo:
        return any(line.split()[4] == path for line in mountinfo)


def _umount(path):
    """Unmount ``path`` (and what is below it); lazily when it is still busy."""
    if not _is_mount(path):
        return
    if subprocess.run(["umount", "-R", str(path)], capture_output=True, check=False).returncode:
        subprocess.run(["umount", "-R", "-l", str(path)], capture_output=True, check=False)


@contextlib.contextmanager
def chroot_mounts(root):
    """``/proc``, ``/sys``, ``/dev`` (bind) and ``/dev/pts`` inside ``root`` for the duration,
    unmounted in reverse order whatever happens (Salt needs ``/proc``; apt needs ``/dev``)."""
    root = pathlib.Path(root)
    mounted = []
    try:
        for target, argv in (
            ("proc", ["mount", "-t", "proc", "proc"]),
            ("sys", ["mount", "-t", "sysfs", "sysfs"]),
            ("dev", ["mount", "--bind", "/dev"]),
            ("dev/pts", ["mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts"]),
        ):
            path = root / target
            path.mkdir(parents=True, exist_ok=True)
            _run([*argv, str(path)], timeout=30)
            mounted.append(path)
        yield root
    finally:
        for path in reversed(mounted):
            _umount(path)


@contextlib.contextmanager
def overlay(lower, workdir):
    """A writable overlay of the cached tree ``lower`` under ``workdir`` (upper, work and merged
    directories there); unmounted at the end, whatever happens. Yields the merged root."""
    workdir = pathlib.Path(workdir)
    upper, work, merged = (workdir / name for name in ("upper", "work", "merged"))
    for path in (upper, work, merged):
        path.mkdir(parents=True, exist_ok=True)
    options = f"lowerdir={lower},upperdir={upper},workdir={work}"
    _run(["mount", "-t", "overlay", "overlay", "-o", options, str(merged)], timeout=30)
    try:
        yield merged
    finally:
        _umount(merged)


def install_host_ca(root):
    """Copy the host's CA bundle into ``root`` (the registries' TLS proxy is signed by a CA in
    it) and point pip there at it, so that pip inside the tree can reach PyPI."""
    root = pathlib.Path(root)
    target = root / HOST_CA_BUNDLE.relative_to("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HOST_CA_BUNDLE, target)
    (root / "etc/pip.conf").write_text(f"[global]\ncert = {HOST_CA_BUNDLE}\n")


def _build_base(target, mirror, packages=BASE_PACKAGES):
    _run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(packages)}",
            SUITE,
            str(target),
            mirror,
        ],
        timeout=1500,
        what="debootstrap",
    )
    shutil.copyfile("/etc/resolv.conf", target / "etc/resolv.conf")
    install_host_ca(target)
    run_in(target, "apt-get", "clean")


def _build_layer(target, layer):
    policy = target / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY_RC_D)
    policy.chmod(0o755)
    try:
        with chroot_mounts(target):
            if layer.packages:
                run_in(target, "apt-get", "update", "-qq", timeout=600)
                run_in(
                    target,
                    "apt-get",
                    "install",
                    "-y",
                    "-qq",
                    "--no-install-recommends",
                    *layer.packages,
                    timeout=1500,
                )
                run_in(target, "apt-get", "clean")
            if layer.setup:
                layer.setup(target)
    finally:
        policy.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(name):
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# A tree of an older recipe may still be in use by a concurrent run of another checkout (its
# overlays mounted on it, or a layer being copied from it): it is dropped only when nothing is
# mounted from it and no run has taken it from the cache for this long.
STALE_AFTER = 6 * 3600
USED_STAMP = ".mdeprereq-used"


def _mounted_paths():
    """Every path this machine's mount table names (mount points and overlay lower dirs)."""
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _in_use(entry, mount_table, now):
    if str(entry) in mount_table:
        return True
    try:
        used = (entry / USED_STAMP).stat().st_mtime
    except OSError:
        used = entry.stat().st_mtime
    return now - used < STALE_AFTER


def _drop_stale(name, keep):
    mount_table, now = _mounted_paths(), time.time()
    for entry in CACHE.glob(f"{name}-*"):
        if entry.name == keep or not entry.is_dir() or entry.name.endswith(".building"):
            continue
        if not _in_use(entry, mount_table, now):
            shutil.rmtree(entry, ignore_errors=True)


def _taken(tree):
    """``tree``, stamped as used now (see STALE_AFTER)."""
    with contextlib.suppress(OSError):
        (tree / USED_STAMP).touch()
    return tree


def _cached(name, key, build):
    """The tree ``<name>-<key>`` in the cache, built with ``build(tmp_dir)`` when absent. Built
    in a temporary directory and renamed into place, so a half-built tree is never used."""
    final = CACHE / f"{name}-{key}"
    with _locked(name):
        if (final / ".mdeprereq-complete").exists():
            _drop_stale(name, final.name)
            return _taken(final)
        building = CACHE / f"{name}-{key}.building"
        shutil.rmtree(building, ignore_errors=True)
        started = time.monotonic()
        try:
            build(building)
            (building / ".mdeprereq-complete").write_text(
                f"built in {time.monotonic() - started:.0f} s\n"
            )
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        shutil.rmtree(final, ignore_errors=True)
        building.rename(final)
        _drop_stale(name, final.name)
        return _taken(final)


def debian_rootfs(*layers, mirror=None, base_packages=BASE_PACKAGES, base_name="base"):
    """The path of a cached Debian 12 tree: the base (minbase + ``base_packages``, the host's CA
    bundle) with ``layers`` applied in order. Builds what is missing (root only). A base with
    other packages than ``BASE_PACKAGES`` (the newcomer test's bare machine) needs its own
    ``base_name``: a cache entry of one name holds one recipe."""
    if os.geteuid() != 0:
        raise RootfsError("building a Debian tree needs root (debootstrap, chroot, mount)")
    if not shutil.which("debootstrap"):
        raise RootfsError("debootstrap is not installed (tools/debian-packages.txt lists it)")
    mirror = mirror or host_mirror()
    if base_name == "base" and tuple(base_packages) != BASE_PACKAGES:
        raise RootfsError("a base tree with other packages needs its own base_name")
    recipe = [SUITE, " ".join(base_packages)]
    tree = _cached(
        base_name,
        _recipe_hash(*recipe),
        lambda target: _build_base(target, mirror, tuple(base_packages)),
    )
    for layer in layers:
        recipe.append(layer.recipe())
        parent = tree

        def build(target, parent=parent, layer=layer):
            _run(["cp", "-a", "--reflink=auto", str(parent), str(target)], timeout=900)
            (target / ".mdeprereq-complete").unlink(missing_ok=True)
            _build_layer(target, layer)

        tree = _cached(layer.name, _recipe_hash(*recipe), build)
    return tree


def wheelhouse(requirements, python="python3.11"):
    """A cached directory of wheels for ``requirements`` (a list of pip requirement strings),
    built on this host so that a tree's pip installs Salt without a compiler (Salt's ``timelib``
    has no wheel on PyPI). The host's and Debian 12's Python are both CPython 3.11 on glibc."""
    key = _recipe_hash("wheels", python, *requirements)
    # The interpreter running the tests when it is that Python: its virtualenv has pip, which
    # Debian's own python3.11 lacks without python3-pip
    running = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = sys.executable if python == running else (shutil.which(python) or python)

    def build(target):
        target.mkdir(parents=True)
        _run(
            [
                interpreter,
                "-m",
                "pip",
                "wheel",
                "-q",
                "-w",
                str(target),
                *list(requirements),
            ],
            timeout=1500,
            what="pip wheel",
        )

    # One cache entry per set of requirements: different sets (the machines' and the RPM
    # personas') must not drop each other as stale
    return _cached(f"wheels-{key}", key, build)


def scratch_dir(prefix):
    """A temporary directory on the cache's filesystem (overlays and copies want the same one)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    return pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir=CACHE))
