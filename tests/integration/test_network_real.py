"""The network checks against real parts, all on loopback (127.0.0.1), started and stopped here.

- TLS servers: Python's ssl with certificates from a test CA made by trustme (organization
  ``mdeprereq test CA``, set as the expected issuer);
- a real forward proxy: Debian's tinyproxy, one that tunnels to any port and a strict one that
  allows CONNECT to port 443 only (so it refuses ours with ``403 Access violation``);
- an intercepting proxy: mitmproxy's ``mitmdump``, with the CA it makes for itself;
- a blackholed endpoint: a listening socket whose queue is full and that never accepts (the
  kernel completes one handshake and drops the rest, so probes hang in connect or in TLS);
- a proxy that is down: a free port nobody listens on.

Each process is started on a free port with its own configuration in a temporary directory and is
stopped by its own pid in a fixture teardown, whatever happens; the directories are removed. A
missing binary fails the test as root (CI installs tools/debian-packages.txt) and skips it
otherwise.
"""

import contextlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from mdeprereq_engine import data, network
from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings
from tests.conftest import is_root

try:
    import trustme
except ImportError:  # pragma: no cover - requirements/tests.txt installs it
    trustme = None

pytestmark = pytest.mark.integration

TEST_CA_ORGANIZATION = "mdeprereq test CA"
TIMEOUT = 1.0  # mdeprereq:connectivity:timeout in the blackhole tests
SLACK = 0.5


def require(ready, what, how):
    """Fail (as root: CI installs it) or skip (otherwise) when ``what`` is missing."""
    if ready:
        return
    message = f"{what} is missing: {how}"
    if is_root():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def binary(name, package):
    path = shutil.which(name)
    require(
        path,
        name,
        f"install the Debian package {package} (listed in tools/debian-packages.txt; tools/test "
        "installs it when run as root)",
    )
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def process(argv, port, log_path, ready=None, startup=20.0):
    """Run ``argv`` until the block ends; wait until it listens on ``port`` (and ``ready()``).

    Stopped by its own pid (terminate, then kill) whatever happens.
    """
    log = open(log_path, "wb")  # closed in the finally below
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + startup
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{argv[0]} exited with {proc.returncode}: {read(log_path)}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                if ready is None or ready():
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"{argv[0]} did not listen on {port} in {startup}s: {read(log_path)}")
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        log.close()


def logged(path, text, wait=2.0):
    """Whether ``text`` appears in the log at ``path`` within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while text not in read(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory for this module's configurations and logs, removed at the end."""
    path = tmp_path_factory.mktemp("network-real")
    yield path
    shutil.rmtree(path, ignore_errors=True)


# -- the test CA and TLS servers -------------------------------------------------------------------
@pytest.fixture(scope="module")
def test_ca(workdir):
    require(trustme is not None, "trustme", "pip install -r requirements/tests.txt")
    ca = trustme.CA(organization_name=TEST_CA_ORGANIZATION)
    ca.cert_pem.write_to_path(str(workdir / "test-ca.pem"))
    return ca


@pytest.fixture(scope="module")
def test_ca_file(test_ca, workdir):
    return str(workdir / "test-ca.pem")


class TLSServer:
    """Completes TLS handshakes on 127.0.0.1 with a certificate from the test CA, then closes."""

    def __init__(self, ca):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self.context)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}/"
        self.handshakes = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)  # to see self.stopped: close() does not wake accept() everywhere
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client):
        client.settimeout(5)
        try:
            with self.context.wrap_socket(client, server_side=True):
                self.handshakes += 1
        except OSError:
            client.close()

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def tls_server(test_ca):
    server = TLSServer(test_ca)
    yield server
    server.close()


@pytest.fixture(scope="module")
def other_tls_server(test_ca):
    server = TLSServer(test_ca)
    yield server
    server.close()


@pytest.fixture
def client_context(test_ca):
    """Verifies with the test CA only (as a system store holding it would)."""
    context = ssl.create_default_context()
    test_ca.configure_trust(context)
    return context


@pytest.fixture
def blackhole():
    """URLs of endpoints that never answer: listening sockets that never accept."""
    sockets = []

    def make(count):
        urls = []
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(0)
            sockets.append(sock)
            urls.append(f"https://127.0.0.1:{sock.getsockname()[1]}/")
        return urls

    yield make
    for sock in sockets:
        sock.close()


# -- the proxies -----------------------------------------------------------------------------------
def start_tinyproxy(workdir, name, extra=""):
    path = binary("tinyproxy", "tinyproxy")
    port = free_port()
    config = workdir / f"{name}.conf"
    config.write_text(
        f"Port {port}\nListen 127.0.0.1\nTimeout 30\nMaxClients 100\nAllow 127.0.0.1\n"
        f"LogLevel Connect\n{extra}"
    )
    log = workdir / f"{name}.log"
    return process([path, "-d", "-c", str(config)], port, log), f"http://127.0.0.1:{port}", log


@pytest.fixture(scope="module")
def tinyproxy(workdir):
    """A forward proxy that tunnels to any port: ``(url, log path)``."""
    running, url, log = start_tinyproxy(workdir, "tinyproxy")
    with running:
        yield url, log


@pytest.fixture(scope="module")
def strict_tinyproxy(workdir):
    """A forward proxy that allows CONNECT to port 443 only."""
    running, url, _log = start_tinyproxy(workdir, "strict-tinyproxy", "ConnectPort 443\n")
    with running:
        yield url


@pytest.fixture(scope="module")
def mitmproxy(workdir, test_ca_file):
    """An intercepting proxy: ``(url, its CA certificate file)``. It verifies the upstream
    servers with the test CA and makes certificates for the clients with its own CA."""
    path = binary("mitmdump", "mitmproxy")
    port = free_port()
    confdir = workdir / "mitmproxy"
    confdir.mkdir()
    ca_file = confdir / "mitmproxy-ca-cert.pem"
    argv = [
        path,
        "--listen-host",
        "127.0.0.1",
        "--listen-port",
        str(port),
        "--set",
        f"confdir={confdir}",
        "--set",
        f"ssl_verify_upstream_trusted_ca={test_ca_file}",
    ]
    with process(argv, port, workdir / "mitmproxy.log", ready=ca_file.exists):
        yield f"http://127.0.0.1:{port}", str(ca_file)


@pytest.fixture
def down_proxy():
    return f"http://127.0.0.1:{free_port()}"


# -- running the checks ----------------------------------------------------------------------------
@pytest.fixture
def root(tmp_path):
    """An empty machine root: no mdatp, no managed settings, no onboarding JSON."""
    path = tmp_path / "root"
    path.mkdir()
    return path


def connectivity(root, urls, context, environ=None, timeout=3, **raw):
    settings = Settings.from_raw(
        {
            "connectivity": {
                "urls": urls,
                "timeout": timeout,
                "expected_issuers": [TEST_CA_ORGANIZATION],
            },
            **raw,
        }
    )
    host = Host(root=str(root), environ=environ or {})
    started = time.monotonic()
    result = network.check_connectivity(host, settings, ssl_context=context)
    return result, time.monotonic() - started


def by_url(result):
    return {entry["url"]: entry for entry in result["facts"]["urls"]}


def test_direct_ok(root, tls_server, client_context):
    result, _ = connectivity(root, [tls_server.url], client_context)
    assert result["status"] == "pass", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "ok"
    assert entry["issuer"] == TEST_CA_ORGANIZATION
    assert entry["host"] == "127.0.0.1"
    assert entry["port"] == tls_server.port
    assert "directly" in result["message"]


def test_trust_from_ssl_cert_file(root, tls_server, test_ca_file, monkeypatch):
    """The default SSL context is the system store: OpenSSL's defaults, so SSL_CERT_FILE works."""
    monkeypatch.setenv("SSL_CERT_FILE", test_ca_file)
    result, _ = connectivity(root, [tls_server.url], None)
    assert result["status"] == "pass", result
    assert result["facts"]["trust_store"]["cafile"] == test_ca_file
    monkeypatch.setenv("SSL_CERT_FILE", os.devnull)  # an empty store: nothing is trusted
    monkeypatch.setenv("SSL_CERT_DIR", os.devnull)
    result, _ = connectivity(root, [tls_server.url], None)
    assert result["status"] == "fail"
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "tls"
    assert "certificate verification failed" in entry["detail"]
    assert entry["issuer"] == TEST_CA_ORGANIZATION  # read from the unverified certificate


@pytest.mark.parametrize("source", ["setting", "environment", "etc-environment"])
def test_through_a_real_proxy(root, tls_server, client_context, tinyproxy, source):
    url, log = tinyproxy
    environ, raw = {}, {}
    if source == "setting":
        raw["proxy"] = url
    elif source == "environment":
        environ["HTTPS_PROXY"] = url
    else:
        (root / "etc").mkdir()
        (root / "etc" / "environment").write_text(f'https_proxy="{url}"\n')
    result, _ = connectivity(root, [tls_server.url], client_context, environ, **raw)
    assert result["status"] == "pass", result
    assert result["facts"]["proxy"] == url
    assert f"through proxy {url}" in result["message"]
    assert logged(log, f"CONNECT 127.0.0.1:{tls_server.port}"), read(log)  # went through it


def test_connect_refused_by_the_proxy_reports_its_status_line(
    root, tls_server, client_context, strict_tinyproxy
):
    result, _ = connectivity(root, [tls_server.url], client_context, proxy=strict_tinyproxy)
    assert result["status"] == "fail"
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "proxy"
    assert "'HTTP/1.1 403 Access violation'" in entry["detail"]
    assert "403 Access violation" in result["message"]
    assert network.CONNECTIVITY_REMEDIATIONS["proxy"] in result["remediation"]


def test_proxy_that_cannot_reach_the_server(root, client_context, tinyproxy):
    closed = f"https://127.0.0.1:{free_port()}/"
    result, _ = connectivity(root, [closed], client_context, proxy=tinyproxy[0])
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "proxy"
    assert "500 Unable to connect" in entry["detail"]


def test_proxy_that_is_down(root, tls_server, client_context, down_proxy):
    result, elapsed = connectivity(root, [tls_server.url], client_context, proxy=down_proxy)
    assert result["status"] == "fail"
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "refused"
    port = down_proxy.rpartition(":")[2]
    assert f"the proxy 127.0.0.1:{port} refused the connection" in entry["detail"]
    assert elapsed < 1


def test_direct_refused(root, client_context):
    closed = f"https://127.0.0.1:{free_port()}/"
    result, _ = connectivity(root, [closed], client_context)
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "refused"
    assert network.CONNECTIVITY_REMEDIATIONS["refused"] in result["remediation"]


def test_not_tls(root, client_context):
    """A server that answers, but in plain HTTP."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer():
            with contextlib.suppress(OSError):
                client, _ = listener.accept()
                with client:
                    client.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/"
        result, elapsed = connectivity(root, [url], client_context)
        thread.join(5)
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "tls"
    assert "TLS handshake failed" in entry["detail"]
    assert elapsed < 1


def test_intercepting_proxy_is_ssl_inspection(root, tls_server, client_context, mitmproxy):
    """mitmproxy's CA trusted too (as an admin adds it to the store): still SSL inspection."""
    url, mitm_ca = mitmproxy
    client_context.load_verify_locations(mitm_ca)
    result, _ = connectivity(root, [tls_server.url], client_context, proxy=url)
    assert result["status"] == "fail", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "tls"
    assert entry["issuer"] == "mitmproxy"
    assert entry["detail"].startswith(network.INSPECTION)
    assert "'mitmproxy'" in entry["detail"]
    assert network.INSPECTION in result["message"]
    assert "'mitmproxy'" in result["message"]
    assert network.CONNECTIVITY_REMEDIATIONS["inspection"] in result["remediation"]


def test_intercepting_proxy_with_untrusted_ca_is_named(root, tls_server, client_context, mitmproxy):
    url, _mitm_ca = mitmproxy
    result, _ = connectivity(root, [tls_server.url], client_context, proxy=url)
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "tls"
    assert entry["issuer"] == "mitmproxy"
    assert entry["detail"].startswith(network.INSPECTION)
    assert "certificate verification failed" in entry["detail"]


def test_issuer_test_is_what_tells_interception(root, tls_server, client_context, mitmproxy):
    """The same path passes once mitmproxy's organization is expected: the issuer decides."""
    url, mitm_ca = mitmproxy
    client_context.load_verify_locations(mitm_ca)
    settings = Settings.from_raw(
        {
            "proxy": url,
            "connectivity": {"urls": [tls_server.url], "expected_issuers": ["mitmproxy"]},
        }
    )
    result = network.check_connectivity(
        Host(root=str(root), environ={}), settings, ssl_context=client_context
    )
    assert result["status"] == "pass", result


@pytest.fixture(params=["direct", "tinyproxy"])
def way(request):
    """Directly, or through the real forward proxy: the settings for it."""
    if request.param == "direct":
        return {}
    return {"proxy": request.getfixturevalue("tinyproxy")[0]}


def test_blackholed_urls_take_one_timeout_not_the_sum(
    root, tls_server, client_context, blackhole, way
):
    count = 6
    urls = [tls_server.url, *blackhole(count)]
    raw = way
    result, elapsed = connectivity(root, urls, client_context, timeout=TIMEOUT, **raw)
    assert elapsed < 1.5 * TIMEOUT + SLACK, f"{elapsed:.2f}s for {count} blackholed URLs"
    assert elapsed >= TIMEOUT * 0.9
    entries = by_url(result)
    assert entries[tls_server.url]["result"] == "ok"
    assert entries[tls_server.url]["elapsed"] < TIMEOUT / 2  # not held up by the others
    timeouts = [entries[url] for url in urls[1:]]
    assert [e["result"] for e in timeouts] == ["timeout"] * count
    for entry in timeouts:
        assert entry["detail"].startswith(f"no answer within {TIMEOUT:g}s")
        assert entry["elapsed"] <= TIMEOUT + SLACK
    assert result["status"] == "fail"
    assert f"{count} of {count + 1} Defender URLs fail" in result["message"]
    assert network.CONNECTIVITY_REMEDIATIONS["timeout"] in result["remediation"]


BAD_PROXIES = [
    ("http://cfg.corp.example/proxy.pac", "PAC"),
    ("http://wpad.corp.example:80", "WPAD"),
    ("http://svc:Secr3t@127.0.0.1:3128", "credentials"),
    ("127.0.0.1:3128", "not a URL"),
    ("http://127.0.0.1:31x8", "bad port"),
    ("http://127.0.0.1:3128 --insecure", "a space"),
    ("http://127.0.0.1:3128\nAcquire::https::Verify-Peer false;", "a newline"),
    ("http://127.0.0.1:3128;curl|sh", "';'"),
]


@pytest.mark.parametrize(("proxy", "reason"), BAD_PROXIES, ids=[r for _, r in BAD_PROXIES])
def test_bad_proxy_settings_each_give_a_clear_error(root, test_ca, client_context, proxy, reason):
    server = TLSServer(test_ca)  # its own: nothing may reach it through an unusable proxy
    try:
        settings = Settings.from_raw({"proxy": proxy, "connectivity": {"urls": [server.url]}})
        host = Host(root=str(root), environ={})
        checked = network.check_proxy(host, settings)
        probed = network.check_connectivity(host, settings, ssl_context=client_context)
    finally:
        server.close()
    assert checked["status"] == "fail"
    assert reason in checked["message"]
    assert checked["remediation"]
    assert probed["status"] == "skip"
    assert "see the proxy check" in probed["message"]
    assert server.handshakes == 0
    for result in (checked, probed):
        assert "Secr3t" not in repr(result)


def test_proxy_check_passes_for_the_real_proxy(root, tinyproxy):
    managed_json = root / data.MANAGED_JSON.lstrip("/")
    managed_json.parent.mkdir(parents=True)
    managed_json.write_text(json.dumps({"cloudService": {"proxy": tinyproxy[0]}}))
    settings = Settings.from_raw({"proxy": tinyproxy[0]})
    result = network.check_proxy(Host(root=str(root), environ={}), settings)
    assert result["status"] == "pass", result
