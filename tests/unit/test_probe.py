"""One probe without a network (``probe.py``): the issuer of a certificate, the CONNECT exchange
on a socketpair, probe_all's concurrency and deadline.

The real proxies and TLS servers are in tests/integration/test_network_real.py.
"""

import datetime
import socket
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mdeprereq_engine import probe
from tests.unit.network_samples import SECRET, dumped


# -- issuer of a certificate -----------------------------------------------------------------------
def certificate(issuer_attributes):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    issuer = x509.Name([x509.NameAttribute(oid, value) for oid, value in issuer_attributes])
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf.example")]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(Encoding.DER)


@pytest.mark.parametrize(
    ("attributes", "organization"),
    [
        (
            [
                (NameOID.COUNTRY_NAME, "US"),
                (NameOID.ORGANIZATION_NAME, "Microsoft Corporation"),
                (NameOID.COMMON_NAME, "Microsoft Azure RSA TLS Issuing CA 03"),
            ],
            "Microsoft Corporation",
        ),
        ([(NameOID.ORGANIZATION_NAME, "Fortinet Ltd.")], "Fortinet Ltd."),
        ([(NameOID.ORGANIZATION_NAME, "Zürich Prüfstelle")], "Zürich Prüfstelle"),
        ([(NameOID.COMMON_NAME, "No Org CA")], None),
        (
            [(NameOID.ORGANIZATION_NAME, "One"), (NameOID.ORGANIZATION_NAME, "Two")],
            "One, Two",
        ),
    ],
)
def test_issuer_organization_from_der(attributes, organization):
    assert probe.issuer_organization_from_der(certificate(attributes)) == organization


@pytest.mark.parametrize("der", [b"", b"\x30", b"\x30\x82\xff\xff", b"garbage" * 10])
def test_issuer_organization_from_garbage(der):
    assert probe.issuer_organization_from_der(der) is None


# -- the CONNECT exchange, on a socketpair ---------------------------------------------------------
def attempt(proxy="http://proxy:3128", timeout=2.0):
    return probe._Attempt(
        host="mdav.us.endpoint.security.microsoft.com",
        port=443,
        proxy=proxy,
        timeout=timeout,
        deadline=time.monotonic() + timeout,
        progress={},
    )


def converse(answer, timeout=2.0):
    """Run the CONNECT exchange against a stand-in proxy that sends ``answer``."""
    client, server = socket.socketpair()
    try:
        if answer is not None:
            server.sendall(answer)
        if answer == b"":
            server.shutdown(socket.SHUT_WR)
        tunneling = attempt(timeout=timeout)
        try:
            tunneling.tunnel(client)
            outcome = None
        except probe._ProbeFailure as failure:
            outcome = failure
        request = server.recv(4096)
        client.setblocking(False)
        try:
            rest = client.recv(4096)
        except BlockingIOError:
            rest = b""
        return outcome, request, rest
    finally:
        client.close()
        server.close()


def test_connect_established_consumes_only_the_head():
    outcome, request, rest = converse(b"HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01")
    assert outcome is None
    assert request.startswith(
        b"CONNECT mdav.us.endpoint.security.microsoft.com:443 HTTP/1.1\r\n"
        b"Host: mdav.us.endpoint.security.microsoft.com:443\r\n"
    )
    assert rest == b"\x16\x03\x01"  # the first bytes after the head stay for TLS


@pytest.mark.parametrize(
    ("answer", "result", "text"),
    [
        (b"HTTP/1.1 403 Forbidden\r\nServer: x\r\n\r\n<html>", "proxy", "'HTTP/1.1 403 Forbidden'"),
        (
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
            "proxy",
            "authenticated proxies aren't supported",
        ),
        (b"HTTP/1.0 502 Bad Gateway\r\n\r\n", "proxy", "502 Bad Gateway"),
        (b"SSH-2.0-OpenSSH_9.2\r\n", "proxy", "not HTTP: 'SSH-2.0-OpenSSH_9.2'"),
        (b"", "proxy", "closed the connection without answering"),
        (b"HTTP/1.1 200 OK\r\n", "timeout", "waiting for the proxy to answer CONNECT"),
    ],
)
def test_connect_answers(answer, result, text):
    outcome, _request, _rest = converse(answer, timeout=0.3)
    assert outcome.result == result
    assert text in outcome.detail


def test_connect_answer_without_any_reply_times_out():
    start = time.monotonic()
    outcome, _request, _rest = converse(None, timeout=0.3)
    assert outcome.result == "timeout"
    assert time.monotonic() - start < 1.5


def test_name_that_does_not_resolve(monkeypatch):
    def no_such_name(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(probe, "_resolve", no_such_name)
    result = probe.probe_url("https://mdav.us.endpoint.security.microsoft.com/", timeout=1)
    assert result["result"] == "dns"
    assert "does not resolve: Name or service not known" in result["detail"]
    result = probe.probe_url("https://x.example/", proxy="http://proxy.corp:3128", timeout=1)
    assert result["result"] == "dns"
    assert "the proxy proxy.corp does not resolve" in result["detail"]


def test_probe_with_an_unusable_proxy_reports_it():
    result = probe.probe_url("https://x.example/", proxy=f"http://u:{SECRET}@p:1", timeout=1)
    assert result["result"] == "proxy"
    assert SECRET not in dumped(result)


# -- probe_all: concurrency and the deadline -------------------------------------------------------
def entry(url="https://mdav.us.endpoint.security.microsoft.com/"):
    return {**probe._new_entry(url), "result": "ok", "detail": "verified TLS handshake"}


def test_probes_run_concurrently(monkeypatch):
    def slow_probe(url, proxy, timeout, trust, *, system, deadline, progress):
        time.sleep(0.3)
        return {**entry(), "url": url}

    monkeypatch.setattr(probe, "probe_url", slow_probe)
    start = time.monotonic()
    entries = probe.probe_all([f"https://h{i}.example/" for i in range(10)], None, 2.0, None)
    assert time.monotonic() - start < 1.5  # not 10 x 0.3 s
    assert [e["url"] for e in entries] == [f"https://h{i}.example/" for i in range(10)]


def test_blocked_probe_reported_as_timeout_at_its_stage(monkeypatch):
    release = threading.Event()

    def stuck_in_dns(url, proxy, timeout, trust, *, system, deadline, progress):
        progress["stage"] = "dns"
        release.wait(10)  # like a name lookup that never returns
        return entry()

    monkeypatch.setattr(probe, "probe_url", stuck_in_dns)
    try:
        start = time.monotonic()
        entries = probe.probe_all(["https://a.example/", "https://b.example/"], None, 0.3, None)
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert elapsed < 0.3 * 1.5 + probe.JOIN_GRACE
    assert [e["result"] for e in entries] == ["timeout", "timeout"]
    assert entries[0]["detail"] == "no answer within 0.3s resolving the name"
    assert entries[0]["host"] == "a.example"


def test_a_probe_that_raises_is_reported(monkeypatch):
    def broken(url, proxy, timeout, trust, *, system, deadline, progress):
        raise RuntimeError("boom")

    monkeypatch.setattr(probe, "probe_url", broken)
    (result,) = probe.probe_all(["https://a.example/"], None, 1.0, None)
    assert result["result"] == "tls"
    assert "RuntimeError: boom" in result["detail"]
