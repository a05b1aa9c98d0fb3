"""Fixtures of the end-to-end tests: a stand-in for packages.microsoft.com holding a TEST DOUBLE of
the mdatp package (not Microsoft's product; see fake_mdatp.py), and a cleanup that leaves the
machine as the test found it."""

import contextlib
import shutil

import pytest
import yaml

from tests.conftest import REPO_ROOT, loopback_settings
from tests.e2e import apt_repo, cleanup, fake_mdatp
from tests.helpers.saltmaster import master_daemon

# Product versions published in every channel, oldest first (two: an upgrade can be tested):
# builds of two and one months ago, so that they have not expired when the tests run (every
# build expires 9 months after its release; a pinned expired build fails mdeprereq.satisfied)
MDATP_VERSIONS = (fake_mdatp.recent_version(2, patch=8), fake_mdatp.recent_version(1, patch=3))
MDATP_CHANNELS = ("prod", "insiders-fast", "insiders-slow")
TOOLS = ("dpkg-deb", "dpkg-scanpackages", "gpg", "gpgv", "gpgconf")
# what the formula's minion syncs: the checks, the states and the grain
EXTENSION_DIRS = ("_modules", "_grains", "_states", "_utils")


@contextlib.contextmanager
def formula_master(salt_factories, tmp_path_factory, prefix, settings):
    """A started salt-master serving the extension (``EXTENSION_DIRS``) and the formula
    (``salt/``) from file_roots, and ``mdeprereq: settings`` to every minion (pillar ``mde``),
    with loopback connectivity only (``tests/conftest.py``). Stopped at the end."""
    extension = tmp_path_factory.mktemp("extension")
    for name in EXTENSION_DIRS:
        shutil.copytree(
            REPO_ROOT / name, extension / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    pillar_root = tmp_path_factory.mktemp("pillar")
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - mde\n")
    pillar = {"mdeprereq": loopback_settings(settings)}
    (pillar_root / "mde.sls").write_text(yaml.safe_dump(pillar))
    factory = master_daemon(salt_factories, prefix, [extension, REPO_ROOT / "salt"], pillar_root)
    with factory.started():
        yield factory


@pytest.fixture(scope="package")
def mdatp_repo(tmp_path_factory):
    """The repository, served on http://127.0.0.1:PORT until the package's tests are done.

    Yields an ``apt_repo.MdatpRepo``: ``url`` (replaces https://packages.microsoft.com),
    ``key_url`` (``<url>/keys/microsoft.asc``), ``key_fingerprint``, ``armored_key_path``,
    ``binary_key_path``, ``versions`` (MDATP_VERSIONS), ``channels`` (MDATP_CHANNELS), ``root``,
    ``architecture``; helpers ``channel_url(channel)``, ``source_line(channel, keyring)``,
    ``package_version(version, channel)`` (the ``mdatp=`` pin: ``-insiderfast`` and ``-external``
    suffixes in the insiders channels), ``deb_path(version, channel)``, ``requests`` (paths
    served so far).
    """
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: tools/test installs them (tools/debian-packages.txt)"
        )
    root = tmp_path_factory.mktemp("mdatp-repo")
    with apt_repo.published_repo(root, MDATP_VERSIONS, MDATP_CHANNELS) as repo:
        yield repo


@pytest.fixture
def mdatp_cleanup(mdatp_repo):
    """Whatever happens to the test, put the machine back as it was (cleanup.py says what that
    covers): purge mdatp if the test installed it, remove the sources and keyrings pointing at
    ``mdatp_repo``, the mdatp user and group and /etc/opt/microsoft if they are new, and run
    ``apt-get update`` if a source went. Yields a ``cleanup.Tracker`` (``before``: the snapshot;
    ``track(path)``: remove this path too). Needs root: use it with ``skip_if_not_root``."""
    keys = (mdatp_repo.armored_key_path, mdatp_repo.binary_key_path)
    with cleanup.machine_restored(mdatp_repo.url, keys) as tracker:
        yield tracker
