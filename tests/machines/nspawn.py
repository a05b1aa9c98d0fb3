"""Debian machines booted with systemd as PID 1 in systemd-nspawn, each on an overlay of the
cached image (``image.machine_tree()``), as minions of a master on the host.

``systemd-nspawn --boot`` runs the image's systemd as the container's PID 1. The container
shares the host's network namespace (no ``--private-network``), so its minion reaches the
host's master and the test's apt repository on 127.0.0.1, and nothing else is needed. Its
default seccomp filter refuses fanotify; ``--system-call-filter`` lets fanotify_init and
fanotify_mark through (fanotify is then the host's kernel's, as in any container).

A machine is stopped, whatever happens to the test, by ``machinectl terminate`` when the host
runs systemd-machined, else by SIGTERM to the nspawn process this module started (nspawn then
sends SIGRTMIN+3, systemd's orderly shutdown, to the container's PID 1), then SIGKILL to it and
to any process left in the container's pid namespace; then the overlay is unmounted.
"""

import contextlib
import os
import pathlib
import shutil
import signal
import subprocess
import time

from tests import rootfs
from tests.machines import image

NSPAWN = "systemd-nspawn"
STOP_TIMEOUT = 60


def missing_tools():
    """What this host lacks to boot an nspawn machine (empty: nothing)."""
    return [tool for tool in (NSPAWN, "debootstrap", "nsenter") if shutil.which(tool) is None]


def _machined_running():
    return pathlib.Path("/run/systemd/system").is_dir() and shutil.which("machinectl") is not None


def _pid_namespace(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _leader(nspawn_pid):
    """The host pid of the container's PID 1 (a child of nspawn whose NSpid ends in 1)."""
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        nspid = fields.get("NSpid", "").split()
        if fields.get("PPid", "").strip() == str(nspawn_pid) and nspid[-1:] == ["1"]:
            if len(nspid) > 1:
                return int(entry.name)
    return None


class Machine:
    """One booted machine: ``minion_id``, ``name`` (the nspawn machine name), ``root`` (the
    merged overlay: the guest's files, readable from the host), ``process`` (nspawn),
    ``leader`` (host pid of its systemd), ``console`` (the log of its console)."""

    def __init__(self, name, minion_id, root, process, console):
        self.name = name
        self.minion_id = minion_id
        self.root = pathlib.Path(root)
        self.process = process
        self.console = console
        self.leader = None
        self._pid_ns = None
        self._shutdown_sent = False

    def wait_for_leader(self, timeout=60):
        deadline = time.monotonic() + timeout
        while self.leader is None:
            if self.process.poll() is not None:
                raise rootfs.RootfsError(
                    f"{NSPAWN} exited ({self.process.returncode}):\n{self.console_tail()}"
                )
            if time.monotonic() > deadline:
                raise rootfs.RootfsError(f"{self.name}: no PID 1 after {timeout} s")
            self.leader = _leader(self.process.pid)
            if self.leader is None:
                time.sleep(0.1)
        return self.leader

    def console_tail(self, size=4000):
        try:
            return pathlib.Path(self.console).read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def run(self, *argv, check=True, timeout=120):
        """Run ``argv`` inside the machine (in all its namespaces, as its root), not through
        Salt: what an admin or an unattended upgrade does behind Salt's back."""
        command = ["nsenter", "-t", str(self.wait_for_leader()), "-a", "--", *map(str, argv)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if check and done.returncode:
            raise AssertionError(f"{' '.join(map(str, argv))} in {self.name}: {done}")
        return done

    def pid1(self):
        """The command name of the guest's PID 1."""
        return pathlib.Path(f"/proc/{self.wait_for_leader()}/comm").read_text().strip()

    def shutdown(self):
        """Ask the machine to shut down (systemd's orderly shutdown), without waiting: several
        machines shut down at once. Once only."""
        if self._pid_ns is None and self.leader:
            self._pid_ns = _pid_namespace(self.leader) or ""
        if self.process.poll() is None and not self._shutdown_sent:
            self._shutdown_sent = True
            if _machined_running():
                subprocess.run(
                    ["machinectl", "terminate", self.name], capture_output=True, check=False
                )
            else:
                self.process.send_signal(signal.SIGTERM)

    def stop(self):
        """Stop the machine and everything in it (idempotent)."""
        self.shutdown()
        pid_ns = self._pid_ns
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if pid_ns:  # stragglers of the container's pid namespace, by pid
            for entry in pathlib.Path("/proc").iterdir():
                if entry.name.isdigit() and _pid_namespace(entry.name) == pid_ns:
                    with contextlib.suppress(OSError):
                        os.kill(int(entry.name), signal.SIGKILL)


@contextlib.contextmanager
def booted(tree, workdir, minion_id, *, master_port, publish_port, name=None):
    """A machine booted from an overlay of ``tree`` under ``workdir``, minion ``minion_id`` of
    the master on 127.0.0.1 at those ports. Yields the Machine as soon as nspawn runs (wait for
    the master's ``salt/minion/<id>/start`` event to know the minion is up); stops it and
    unmounts the overlay at the end, whatever happens."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    name = name or minion_id
    with rootfs.overlay(tree, workdir) as root:
        image.machine_config(root, minion_id, "127.0.0.1", master_port, publish_port)
        console = workdir / "console.log"
        command = [
            NSPAWN,
            "--quiet",
            "--boot",
            f"--directory={root}",
            f"--machine={name}",
            "--system-call-filter=fanotify_init fanotify_mark",
            "--link-journal=no",
            "--resolv-conf=off",
            "--timezone=off",
            "--console=read-only",
        ]
        if not _machined_running():
            command += ["--register=no", "--keep-unit"]
        with open(console, "wb") as log:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        machine = Machine(name, minion_id, root, process, console)
        try:
            machine.wait_for_leader()
            yield machine
        finally:
            machine.stop()
