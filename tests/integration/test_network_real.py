"""The network checks against real parts, all on loopback (127.0.0.1), started and stopped here.

- TLS servers: Python's ssl with certificates from a test root made by trustme (organization
  ``mdeprereq test CA``), given to the check as ``mdeprereq:connectivity:roots`` in place of the
  shipped Microsoft roots; another CA (``Corp Inspection CA``) that only the "system store" trusts;
  an impostor root with exactly the test root's names and another key (made with cryptography);
- the system store: each test's own CA file through ``SSL_CERT_FILE`` (and an empty
  ``SSL_CERT_DIR``), never the machine's store;
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
import datetime
import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from mdeprereq_engine import data
from mdeprereq_engine.connectivity import CONNECTIVITY_REMEDIATIONS, check_connectivity
from mdeprereq_engine.host import Host
from mdeprereq_engine.probe import INSPECTION_MESSAGE
from mdeprereq_engine.proxy import check_proxy
from mdeprereq_engine.settings import Settings
from tests.conftest import is_root

try:
    import trustme
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError:  # pragma: no cover - requirements/tests.txt installs them
    trustme = None

pytestmark = pytest.mark.integration

TEST_CA_ORGANIZATION = "mdeprereq test CA"
OTHER_CA_ORGANIZATION = "Corp Inspection CA"
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
def written_ca(workdir, organization, filename):
    """A trustme CA named ``organization``, its root certificate written to ``workdir/filename``."""
    require(trustme is not None, "trustme", "pip install -r requirements/tests.txt")
    ca = trustme.CA(organization_name=organization)
    ca.cert_pem.write_to_path(str(workdir / filename))
    return ca


@pytest.fixture(scope="module")
def test_ca(workdir):
    return written_ca(workdir, TEST_CA_ORGANIZATION, "test-ca.pem")


@pytest.fixture(scope="module")
def test_ca_file(test_ca, workdir):
    return str(workdir / "test-ca.pem")


class TLSServer:
    """Completes TLS handshakes on 127.0.0.1, then closes.

    The certificate is issued by ``ca`` (a trustme CA) for ``names``, or loaded from
    ``cert_chain`` and ``key`` (PEM files: leaf first).
    """

    def __init__(self, ca=None, names=("127.0.0.1", "localhost"), cert_chain=None, key=None, **kw):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if cert_chain:
            self.context.load_cert_chain(cert_chain, key)
        else:
            ca.issue_cert(*names, **kw).configure_cert(self.context)
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


@contextlib.contextmanager
def serving(*args, **kwargs):
    server = TLSServer(*args, **kwargs)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def tls_server(test_ca):
    with serving(test_ca) as server:
        yield server


@pytest.fixture(scope="module")
def other_tls_server(test_ca):  # a second server of the same CA, on a port of its own
    with serving(test_ca) as server:
        yield server


@pytest.fixture
def system_store(monkeypatch, workdir):
    """An isolated "system store": OpenSSL's defaults read SSL_CERT_FILE, here a file of the
    test's own (empty to start with); SSL_CERT_DIR points at nothing. The machine's store is
    never read or changed. Returns ``trust(pem_path)``, which puts that CA in it."""
    store = workdir / "system-store.pem"
    store.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(store))
    monkeypatch.setenv("SSL_CERT_DIR", str(workdir / "no-such-dir"))

    def trust(pem_path):
        with open(store, "a", encoding="ascii") as handle:
            handle.write(read(pem_path))

    return trust


@pytest.fixture(scope="module")
def other_ca(workdir):
    return written_ca(workdir, OTHER_CA_ORGANIZATION, "other-ca.pem")


@pytest.fixture(scope="module")
def impostor_chain(test_ca, workdir):
    """A root with exactly the test root's subject and issuer names (so its organization too) but
    a key of its own, and a certificate for 127.0.0.1 it signed: ``(chain PEM path, key path)``."""
    real = x509.load_pem_x509_certificate(test_ca.cert_pem.bytes())
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    root = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.issuer)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    assert root.subject == real.subject and root.issuer == real.issuer
    chain = workdir / "impostor-chain.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + root.public_bytes(serialization.Encoding.PEM)
    )
    key = workdir / "impostor-key.pem"
    key.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(chain), str(key)


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


def connectivity(root, urls, roots, environ=None, timeout=3, **raw):
    """Run the check on ``urls``, trusting the PEM bundle ``roots`` (None: the shipped roots)."""
    settings = Settings.from_raw(
        {
            "connectivity": {
                "urls": urls,
                "timeout": timeout,
                **({"roots": roots} if roots else {}),
            },
            **raw,
        }
    )
    host = Host(root=str(root), environ=environ or {})
    started = time.monotonic()
    result = check_connectivity(host, settings)
    return result, time.monotonic() - started


def by_url(result):
    return {entry["url"]: entry for entry in result["facts"]["urls"]}


def test_genuine_chain_passes(root, tls_server, test_ca_file, system_store):
    result, _ = connectivity(root, [tls_server.url], test_ca_file)
    assert result["status"] == "pass", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "ok"
    assert entry["issuer"] == TEST_CA_ORGANIZATION
    assert TEST_CA_ORGANIZATION in entry["root"]
    assert entry["host"] == "127.0.0.1"
    assert entry["port"] == tls_server.port
    assert "directly" in result["message"]
    assert result["facts"]["trust"]["source"] == test_ca_file


def test_the_system_store_does_not_decide(root, tls_server, test_ca_file, system_store):
    """The test root in the system store, the shipped roots as trust: the chain doesn't verify to
    them, so it is inspection, though the system trusts it (curl would connect; mdatp won't)."""
    system_store(test_ca_file)
    result, _ = connectivity(root, [tls_server.url], None)
    assert result["status"] == "fail", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "inspection"
    assert entry["trusted_by_system"] is True
    assert TEST_CA_ORGANIZATION in entry["inspected_by"]
    assert "the system CA store trusts it" in entry["detail"]
    assert result["facts"]["trust"]["source"] == "the shipped roots"


def test_chain_from_another_ca_the_system_trusts_is_inspection(
    root, other_ca, workdir, test_ca_file, system_store
):
    system_store(str(workdir / "other-ca.pem"))
    with serving(other_ca) as server:
        result, _ = connectivity(root, [server.url], test_ca_file)
    assert result["status"] == "fail", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "inspection"
    assert entry["trusted_by_system"] is True
    assert OTHER_CA_ORGANIZATION in entry["inspected_by"]  # its subject, named
    assert f"O={OTHER_CA_ORGANIZATION}" in entry["detail"]
    assert INSPECTION_MESSAGE in result["message"]
    assert f"O={OTHER_CA_ORGANIZATION}" in result["message"]
    assert f"Hosts to exempt: 127.0.0.1:{server.port}" in result["remediation"]
    assert CONNECTIVITY_REMEDIATIONS["inspection"] in result["remediation"]


def test_ca_copying_the_roots_names_but_not_its_key_is_inspection(
    root, impostor_chain, test_ca_file, system_store
):
    chain, key = impostor_chain
    system_store(chain)  # even trusted by the system: the key decides, not the name
    with serving(cert_chain=chain, key=key) as server:
        result, _ = connectivity(root, [server.url], test_ca_file)
    assert result["status"] == "fail", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "inspection"
    assert entry["issuer"] is None  # the leaf was never verified
    assert TEST_CA_ORGANIZATION in entry["inspected_by"]
    assert entry["impostor_of"]
    assert "copies the name of" in entry["detail"]
    assert "but not its key" in entry["detail"]
    assert "without its key" in result["message"]


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        pytest.param(
            {"not_after": datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)},
            "certificate has expired",
            id="expired",
        ),
        pytest.param({"names": ("wrong.example",)}, "mismatch", id="wrong-host"),
    ],
)
def test_expired_or_wrong_host_is_tls_not_inspection(root, test_ca, test_ca_file, kwargs, reason):
    with serving(test_ca, **kwargs) as server:
        result, _ = connectivity(root, [server.url], test_ca_file)
    assert result["status"] == "fail"
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "tls", entry
    assert reason in entry["detail"]
    assert INSPECTION_MESSAGE not in result["message"]
    assert CONNECTIVITY_REMEDIATIONS["tls"] in result["remediation"]


@pytest.mark.parametrize("source", ["setting", "environment", "etc-environment"])
def test_through_a_real_proxy(root, tls_server, test_ca_file, tinyproxy, source):
    url, log = tinyproxy
    environ, raw = {}, {}
    if source == "setting":
        raw["proxy"] = url
    elif source == "environment":
        environ["HTTPS_PROXY"] = url
    else:
        (root / "etc").mkdir()
        (root / "etc" / "environment").write_text(f'https_proxy="{url}"\n')
    result, _ = connectivity(root, [tls_server.url], test_ca_file, environ, **raw)
    assert result["status"] == "pass", result
    assert result["facts"]["proxy"] == url
    assert f"through proxy {url}" in result["message"]
    assert logged(log, f"CONNECT 127.0.0.1:{tls_server.port}"), read(log)  # went through it


def test_inspection_through_a_real_proxy(root, other_ca, test_ca_file, tinyproxy, system_store):
    with serving(other_ca) as server:
        result, _ = connectivity(root, [server.url], test_ca_file, proxy=tinyproxy[0])
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "inspection"
    assert OTHER_CA_ORGANIZATION in entry["inspected_by"]  # the chain was read through the proxy


def test_connect_refused_by_the_proxy_reports_its_status_line(
    root, tls_server, test_ca_file, strict_tinyproxy
):
    result, _ = connectivity(root, [tls_server.url], test_ca_file, proxy=strict_tinyproxy)
    assert result["status"] == "fail"
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "proxy"
    assert "'HTTP/1.1 403 Access violation'" in entry["detail"]
    assert "403 Access violation" in result["message"]
    assert CONNECTIVITY_REMEDIATIONS["proxy"] in result["remediation"]


def test_proxy_that_cannot_reach_the_server(root, test_ca_file, tinyproxy):
    closed = f"https://127.0.0.1:{free_port()}/"
    result, _ = connectivity(root, [closed], test_ca_file, proxy=tinyproxy[0])
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "proxy"
    assert "500 Unable to connect" in entry["detail"]


def test_proxy_that_is_down(root, tls_server, test_ca_file, down_proxy):
    result, elapsed = connectivity(root, [tls_server.url], test_ca_file, proxy=down_proxy)
    assert result["status"] == "fail"
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "refused"
    port = down_proxy.rpartition(":")[2]
    assert f"the proxy 127.0.0.1:{port} refused the connection" in entry["detail"]
    assert elapsed < 1


def test_direct_refused(root, test_ca_file):
    closed = f"https://127.0.0.1:{free_port()}/"
    result, _ = connectivity(root, [closed], test_ca_file)
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "refused"
    assert CONNECTIVITY_REMEDIATIONS["refused"] in result["remediation"]


def test_not_tls(root, test_ca_file):
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
        result, elapsed = connectivity(root, [url], test_ca_file)
        thread.join(5)
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "tls"
    assert "TLS handshake failed" in entry["detail"]
    assert elapsed < 1


def test_intercepting_proxy_is_ssl_inspection(
    root, tls_server, test_ca_file, mitmproxy, system_store
):
    """Real mitmproxy, its CA in the system store (as an admin adds it): still SSL inspection."""
    url, mitm_ca = mitmproxy
    system_store(mitm_ca)
    result, _ = connectivity(root, [tls_server.url], test_ca_file, proxy=url)
    assert result["status"] == "fail", result
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "inspection"
    assert entry["trusted_by_system"] is True
    assert "O=mitmproxy" in entry["inspected_by"]
    assert "CN=mitmproxy" in entry["inspected_by"]
    assert entry["detail"].startswith(INSPECTION_MESSAGE)
    assert INSPECTION_MESSAGE in result["message"]
    assert "CN=mitmproxy" in result["message"]
    assert f"Hosts to exempt: 127.0.0.1:{tls_server.port}" in result["remediation"]


def test_intercepting_proxy_with_untrusted_ca_is_named(
    root, tls_server, test_ca_file, mitmproxy, system_store
):
    url, _mitm_ca = mitmproxy
    result, _ = connectivity(root, [tls_server.url], test_ca_file, proxy=url)
    (entry,) = result["facts"]["urls"]
    assert entry["result"] == "inspection"
    assert entry["trusted_by_system"] is False
    assert "CN=mitmproxy" in entry["inspected_by"]
    assert "certificate verification failed" in entry["detail"]
    assert "the system CA store does not trust it either" in entry["detail"]


def test_the_roots_decide(root, tls_server, test_ca_file, mitmproxy, workdir):
    """The same path passes once mitmproxy's CA is one of the roots: the roots decide."""
    url, mitm_ca = mitmproxy
    bundle = workdir / "roots-with-mitmproxy.pem"
    bundle.write_text(read(test_ca_file) + read(mitm_ca))
    result, _ = connectivity(root, [tls_server.url], str(bundle), proxy=url)
    assert result["status"] == "pass", result


@pytest.fixture(params=["direct", "tinyproxy"])
def way(request):
    """Directly, or through the real forward proxy: the settings for it."""
    if request.param == "direct":
        return {}
    return {"proxy": request.getfixturevalue("tinyproxy")[0]}


def test_blackholed_urls_take_one_timeout_not_the_sum(
    root, tls_server, test_ca_file, blackhole, way
):
    count = 6
    urls = [tls_server.url, *blackhole(count)]
    raw = way
    result, elapsed = connectivity(root, urls, test_ca_file, timeout=TIMEOUT, **raw)
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
    assert CONNECTIVITY_REMEDIATIONS["timeout"] in result["remediation"]


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
def test_bad_proxy_settings_each_give_a_clear_error(root, test_ca, proxy, reason):
    server = TLSServer(test_ca)  # its own: nothing may reach it through an unusable proxy
    try:
        settings = Settings.from_raw({"proxy": proxy, "connectivity": {"urls": [server.url]}})
        host = Host(root=str(root), environ={})
        checked = check_proxy(host, settings)
        probed = check_connectivity(host, settings)
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
    result = check_proxy(Host(root=str(root), environ={}), settings)
    assert result["status"] == "pass", result
