"""What the tests with a real salt-master share (``tests/integration``, ``tests/machines``): the
file_roots an admin serves, the remediation reactor, a master factory, pillar trees, a call
through a LocalClient and the master's event bus as the tests look at it."""

import contextlib
import shutil
import time

import pytest
import salt.client
from saltfactories.utils import random_string

from tests.conftest import REPO_ROOT

EXTENSION_DIRS = ("_modules", "_grains", "_states", "_runners", "_beacons", "_output", "_utils")
# the reactor acts only on authenticated job returns of mdeprereq.check (README, Reactor)
REACTOR = [{"salt/job/*/ret/*": ["salt://reactor/mde/remediate.sls"]}]
REMEDIATE_RUNNER = "runner.mdeprereq.remediate"


def copy_state_root(root):
    """Lay the extension and the formula under ``root`` as an admin serves them from file_roots:
    ``_modules``, ..., ``_utils`` and the state tree (``mde/``, ``reactor/``). Returns ``root``."""
    ignore = shutil.ignore_patterns("__pycache__")
    for name in EXTENSION_DIRS:
        shutil.copytree(REPO_ROOT / name, root / name, ignore=ignore)
    for name in ("mde", "reactor"):
        shutil.copytree(REPO_ROOT / "salt" / name, root / name, ignore=ignore)
    return root


def master_daemon(salt_factories, prefix, file_root, pillar_root, **overrides):
    """A salt-master factory (not started) with a random id starting ``prefix``, serving
    ``file_root`` (a directory, or a list of them) and ``pillar_root``; ``overrides`` go to its
    config as given."""
    roots = file_root if isinstance(file_root, list | tuple) else [file_root]
    return salt_factories.salt_master_daemon(
        random_string(prefix),
        defaults={
            "file_roots": {"base": [str(root) for root in roots]},
            "pillar_roots": {"base": [str(pillar_root)]},
        },
        overrides=overrides or None,
    )


def pillar_tree(root, ids, contents):
    """A pillar root at ``root`` giving minion ``ids[key]`` the file ``<key>.sls`` (``contents``
    each, which a test may rewrite). Returns ``root``."""
    (root / "top.sls").write_text(
        "base:\n" + "".join(f"  '{minion}':\n    - {key}\n" for key, minion in ids.items())
    )
    for key in ids:
        (root / f"{key}.sls").write_text(contents)
    return root


@contextlib.contextmanager
def local_client(master):
    """A LocalClient of ``master`` (a salt-factories master), destroyed at the end."""
    client = salt.client.LocalClient(mopts=master.config.copy())
    try:
        yield client
    finally:
        client.destroy()


def call(client, minion_id, fun, *args, timeout=120, **kwargs):
    """``fun`` on one minion through ``client`` (a LocalClient); its return."""
    returns = client.cmd(minion_id, fun, arg=list(args), kwarg=kwargs, timeout=timeout)
    assert minion_id in returns, f"{minion_id} did not answer {fun} within {timeout} s"
    return returns[minion_id]


class Bus:
    """The master's event bus, as the tests look at it."""

    def __init__(self, event_listener, master):
        self.listener = event_listener
        self.master_id = master.id

    def events(self, tag, after):
        """The events tagged like ``tag`` since ``after``, oldest first."""
        found = self.listener.get_events([(self.master_id, tag)], after_time=after)
        return sorted(found, key=lambda event: event.stamp)

    def wait(self, tags, after, timeout=120):
        """Wait for one event of each of ``tags`` since ``after``; their matches."""
        found = self.listener.wait_for_events(
            [(self.master_id, tag) for tag in tags], after_time=after, timeout=timeout
        )
        assert found.found_all_events, found.missed
        return found.matches

    def check_return(self, minion_id, after, timeout=90):
        """The first ``mdeprereq.check`` job return of ``minion_id`` since ``after``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events(f"salt/job/*/ret/{minion_id}", after):
                if event.data.get("fun") == "mdeprereq.check":
                    return event
            time.sleep(0.2)
        pytest.fail(f"no mdeprereq.check return of {minion_id}")

    def remediations(self, minion_id, after):
        """What the remediate runner returned about ``minion_id`` since ``after``, oldest
        first."""
        returns = [
            event.data["return"]
            for event in self.events("salt/run/*/ret", after)
            if event.data.get("fun") == REMEDIATE_RUNNER and isinstance(event.data["return"], dict)
        ]
        return [
            ret
            for ret in returns
            if minion_id in (ret.get("minion"), ret.get("sender"))
            or str(ret.get("tag", "")).endswith(f"/{minion_id}")
        ]

    def wait_for_remediation(self, minion_id, after, count=1, timeout=120):
        deadline = time.monotonic() + timeout
        found = []
        while time.monotonic() < deadline:
            found = self.remediations(minion_id, after)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        pytest.fail(f"{len(found)} remediate runner return(s) for {minion_id}, not {count}")

    def jobs_on(self, minion_id, after, fun=None):
        """The jobs published to ``minion_id`` since ``after`` (only function ``fun``)."""
        return [
            event.data
            for event in self.events("salt/job/*/new", after)
            if minion_id in (event.data.get("minions") or [])
            and (fun is None or event.data.get("fun") == fun)
        ]
