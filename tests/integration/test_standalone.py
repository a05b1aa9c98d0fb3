"""salt-call --local, masterless: from a checkout (--module-dirs) and after ``pip install``
(found through the salt.loader entry point, no sync)."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading

import pytest

from tests.conftest import (
    REPO_ROOT,
    assert_check_schema,
    assert_probes_loopback_only,
)
from tests.integration.conftest import LOOPBACK_MINION_SETTINGS
from tests.integration.test_network_real import start_tinyproxy

pytestmark = pytest.mark.integration

SALT_CALL = os.path.join(os.path.dirname(sys.executable), "salt-call")


def salt_call(config_dir, *args, env=None):
    completed = subprocess.run(
        [SALT_CALL, "--local", f"--config-dir={config_dir}", "--out=json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    return completed


def test_salt_call_local_from_the_checkout(config_dir):
    completed = salt_call(config_dir, f"--module-dirs={REPO_ROOT}", "mdeprereq.check")
    result = json.loads(completed.stdout)["local"]
    assert_check_schema(result)
    assert_probes_loopback_only(result)
    assert completed.returncode == (0 if result["ready"] else 1), completed.stderr


@pytest.fixture(scope="module")
def pip_target(tmp_path_factory):
    """``pip install .`` of a copy of the checkout into a directory of its own."""
    source = tmp_path_factory.mktemp("source")
    for name in (
        "_modules",
        "_grains",
        "_states",
        "_runners",
        "_beacons",
        "_output",
        "_utils",
        "setup.cfg",
        "pyproject.toml",
        "README.md",
    ):
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        timeout=300,
    )
    return target


def test_pip_installed_extension_loads_through_the_entry_point(config_dir, pip_target):
    entry_points = next(pip_target.glob("mdeprereq-*.dist-info")) / "entry_points.txt"
    assert "mdeprereq = mdeprereq_saltext" in entry_points.read_text()
    env = {**os.environ, "PYTHONPATH": str(pip_target)}
    completed = salt_call(config_dir, "mdeprereq.check", env=env)
    result = json.loads(completed.stdout)["local"]
    assert_check_schema(result)
    assert_probes_loopback_only(result)
    grain = json.loads(salt_call(config_dir, "grains.get", "mde", env=env).stdout)["local"]
    assert grain["kernel"] == os.uname().release


def test_without_install_or_sync_the_module_is_absent(config_dir):
    # the control for the test above: nothing else makes mdeprereq available
    completed = salt_call(config_dir, "mdeprereq.check")
    assert completed.returncode != 0
    assert "'mdeprereq.check' is not available" in completed.stdout + completed.stderr


@pytest.fixture
def loopback_tls_server(tmp_path):
    """A TLS server on 127.0.0.1 with a certificate from a test root: ``(url, root PEM path)``."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA(organization_name="mdeprereq test CA")
    roots = tmp_path / "test-root.pem"
    ca.cert_pem.write_to_path(str(roots))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stopped = threading.Event()

    def serve():
        while not stopped.is_set():
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            try:
                client.settimeout(5)
                with context.wrap_socket(client, server_side=True):
                    pass
            except OSError:
                client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/", str(roots)
    stopped.set()
    thread.join(5)
    listener.close()


@pytest.fixture
def loopback_proxy(tmp_path):
    """A real tinyproxy on 127.0.0.1, set as mdeprereq:proxy: the setting wins over whatever proxy
    this machine's own files name (another test may have written one), so the check's path is the
    test's own."""
    running, url, _log = start_tinyproxy(tmp_path, "standalone-tinyproxy")
    with running:
        yield url


@pytest.mark.parametrize("shipped", ["checkout", "pip"])
def test_connectivity_trusts_by_key_both_ways_of_shipping(
    config_dir, loopback_tls_server, loopback_proxy, request, shipped
):
    """The roots ship with the engine (a .py module): the check finds all six both ways, and
    mdeprereq:connectivity:roots replaces them (a loopback server, never another address)."""
    url, roots_file = loopback_tls_server
    if shipped == "pip":
        env = {**os.environ, "PYTHONPATH": str(request.getfixturevalue("pip_target"))}
        args = []
    else:
        env, args = None, [f"--module-dirs={REPO_ROOT}"]
    minion = config_dir / "minion"
    base = minion.read_text().replace(LOOPBACK_MINION_SETTINGS, "")  # its own mdeprereq: below
    for roots, status in ((None, "fail"), (roots_file, "pass")):
        setting = f"    roots: {roots}\n" if roots else ""
        minion.write_text(
            f"{base}mdeprereq:\n  proxy: {loopback_proxy}\n  connectivity:\n"
            f"    urls: ['{url}']\n{setting}"
        )
        completed = salt_call(config_dir, *args, "mdeprereq.connectivity", env=env)
        result = json.loads(completed.stdout)["local"]
        wanted = {status}
        if status == "pass" and "mdatp_connectivity_test" in result["facts"]:
            wanted.add("warn")  # an mdatp on this machine (another test's) has a view of its own
        assert result["status"] in wanted, result
        trust = result["facts"]["trust"]
        if roots is None:
            assert trust["source"] == "the shipped roots"
            assert len(trust["roots"]) == 6
            assert "Microsoft Root Certificate Authority 2011" in trust["roots"]
            assert result["facts"]["urls"][0]["result"] == "inspection"
        else:
            assert trust["source"] == roots_file
            assert result["facts"]["urls"][0]["result"] == "ok"
