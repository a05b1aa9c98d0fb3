"""
A TEST DOUBLE of the service manager, for the mdatp stand-in only: NOT systemd.

This test machine has no systemd as PID 1, so Salt's own ``service`` modules have nothing to
drive. The agent fleet tests give their minions this module as their ``service`` provider
(minion config ``providers: {service: mdatp_standin_service}``): Salt's real
``service.running`` state (called by ``mdeprereq.agent_running``) then starts and enables the
stand-in ``wdavdaemon`` (tests/e2e/fake_mdatp.py) the way systemd starts ``mdatp.service``
(its ``ExecStart``, in a session of its own) and enables it (the ``WantedBy=multi-user.target``
symlink), all under ``MDATP_TEST_ROOT``, the stand-in's tree, which the minion's environment
names. The real unit under a real systemd (a booted Debian) is left to tests/machines
(branch issue15).

It only knows the service ``mdatp``; its ``__virtual__`` refuses to load it under its own name
(providers load it without asking).
"""

import os
import signal
import subprocess
import time

SERVICE = "mdatp"
DAEMON = "/opt/microsoft/mdatp/sbin/wdavdaemon"
PID_FILE = "/run/wdavdaemon.pid"  # the stand-in daemon's (fake_mdatp.DAEMON_PID_FILE)
UNIT = "/lib/systemd/system/mdatp.service"
WANTS = "/etc/systemd/system/multi-user.target.wants/mdatp.service"


def __virtual__():
    return False, "mdatp_standin_service: only as the service provider of the agent fleet tests"


def _root():
    return os.environ["MDATP_TEST_ROOT"]


def _pid():
    """The pid of the running stand-in daemon, or None."""
    try:
        with open(_root() + PID_FILE, encoding="utf-8") as handle:
            pid = int(handle.readline())
        with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
            alive = handle.read().strip() == "wdavdaemon"
        os.readlink(f"/proc/{pid}/exe")  # a zombie has no exe: not running
    except (OSError, ValueError):
        return None
    return pid if alive else None


def offline():
    """Not a system being built offline (this provider replaces only the functions it defines:
    the ``service`` module Salt loaded here would say offline, having no booted systemd)."""
    return False


def available(name):
    return name == SERVICE


def get_all():
    return [SERVICE]


def status(name, sig=None):
    return name == SERVICE and _pid() is not None


def start(name):
    if name != SERVICE:
        return False
    if _pid() is not None:
        return True
    env = {"MDATP_TEST_ROOT": _root(), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    with open(os.devnull, "r+b") as null:
        subprocess.Popen(
            [_root() + DAEMON],
            env=env,
            stdin=null,
            stdout=null,
            stderr=null,
            start_new_session=True,
        )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _pid() is not None:
            return True
        time.sleep(0.05)
    return False


def stop(name):
    pid = _pid() if name == SERVICE else None
    if pid is None:
        return True
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid() is not None:
        time.sleep(0.05)
    return _pid() is None


def enabled(name, **kwargs):
    return name == SERVICE and os.path.lexists(_root() + WANTS)


def disabled(name):
    return not enabled(name)


def enable(name, **kwargs):
    if name != SERVICE:
        return False
    link = _root() + WANTS
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.lexists(link):
        os.symlink(UNIT, link)
    return True


def disable(name, **kwargs):
    if name != SERVICE:
        return False
    link = _root() + WANTS
    if os.path.lexists(link):
        os.unlink(link)
    return True
