"""Network checks without a network: proxy validation and discovery, masking, geo from the
onboarding JSON, the CONNECT exchange on a socketpair, and the verdicts built from stand-in probes.

The real proxies and TLS servers are in tests/integration/test_network_real.py.
"""

import builtins
import datetime
import json
import socket
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mdeprereq_engine import data, network
from mdeprereq_engine.network import (
    AuthenticatedProxyError,
    InvalidProxyURLError,
    PacProxyError,
    ProxyURLError,
    WpadProxyError,
)
from mdeprereq_engine.settings import Settings

SECRET = "s3cr3t-Pa55"


def settings(**raw):
    return Settings.from_raw(raw)


def dumped(value):
    return json.dumps(value, default=str)


# -- validate_proxy_url ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("http://proxy:3128", id="host-port"),
        pytest.param("http://proxy.corp.example.com:8080/", id="fqdn-trailing-slash"),
        pytest.param("HTTP://Proxy.Example:3128", id="upper-case"),
        pytest.param("http://10.1.2.3:3128", id="ipv4"),
        pytest.param("http://[2001:db8::1]:3128", id="ipv6"),
        pytest.param("http://proxy_01.corp:3128", id="underscore"),
        pytest.param("http://proxy:65535", id="highest-port"),
    ],
)
def test_valid_proxy_urls(url):
    assert network.validate_proxy_url(url) is None


@pytest.mark.parametrize(
    ("url", "error", "reason"),
    [
        # PAC and WPAD
        pytest.param("http://cfg.corp/proxy.pac", PacProxyError, "PAC", id="pac-url"),
        pytest.param("http://cfg.corp:80/x.PAC?v=2", PacProxyError, "PAC", id="pac-query"),
        pytest.param("file:///etc/proxy.pac", PacProxyError, "PAC", id="pac-file"),
        pytest.param("pac+http://cfg.corp/get", PacProxyError, "PAC", id="pac-scheme"),
        pytest.param("http://wpad/wpad.dat", WpadProxyError, "WPAD", id="wpad-dat"),
        pytest.param("http://wpad.corp.example:80", WpadProxyError, "WPAD", id="wpad-host"),
        # credentials
        pytest.param(f"http://user:{SECRET}@proxy:3128", AuthenticatedProxyError, "", id="auth"),
        pytest.param("http://user@proxy:3128", AuthenticatedProxyError, "credentials", id="user"),
        pytest.param(f"user:{SECRET}@proxy:3128", AuthenticatedProxyError, "", id="no-scheme"),
        pytest.param(
            f"http://dom\\user:{SECRET}/x@proxy:3128", AuthenticatedProxyError, "", id="slash-pw"
        ),
        # not a URL
        pytest.param("http://proxy:port", InvalidProxyURLError, "bad port", id="port-word"),
        pytest.param("http://proxy:99999", InvalidProxyURLError, "bad port", id="port-range"),
        pytest.param("http://proxy:-1", InvalidProxyURLError, "bad port", id="port-negative"),
        pytest.param("http://proxy:0", InvalidProxyURLError, "port 0", id="port-zero"),
        pytest.param("http://proxy:3128:99", InvalidProxyURLError, "bad port", id="two-ports"),
        pytest.param("http://proxy", InvalidProxyURLError, "no port", id="no-port"),
        pytest.param("proxy:3128", InvalidProxyURLError, "not a URL", id="no-scheme"),
        pytest.param("https://proxy:3128", InvalidProxyURLError, "scheme https", id="https"),
        pytest.param("socks5://proxy:1080", InvalidProxyURLError, "scheme socks5", id="socks"),
        pytest.param("http://pro xy:3128", InvalidProxyURLError, "a space", id="space"),
        pytest.param(
            "http://proxy:3128\nAcquire::http::Proxy", InvalidProxyURLError, "newline", id="nl"
        ),
        pytest.param("http://proxy:3128\t", InvalidProxyURLError, "a tab", id="tab"),
        pytest.param("http://proxy:3128\x00", InvalidProxyURLError, "U+0000", id="nul"),
        pytest.param("http://proxy:3128;reboot", InvalidProxyURLError, "';'", id="semicolon"),
        pytest.param("http://$(hostname):3128", InvalidProxyURLError, "'$'", id="dollar"),
        pytest.param("http://`id`:3128", InvalidProxyURLError, "'`'", id="backtick"),
        pytest.param("http://proxy:3128|cat", InvalidProxyURLError, "'|'", id="pipe"),
        pytest.param('"http://proxy:3128"', InvalidProxyURLError, "'\"'", id="quoted"),
        pytest.param("http://a:1,http://b:2", InvalidProxyURLError, "','", id="list"),
        pytest.param("http://proxy:3128/path", InvalidProxyURLError, "path", id="path"),
        pytest.param("http://proxy:3128/?a=b", InvalidProxyURLError, "query", id="query"),
        pytest.param("http://proxy:3128#top", InvalidProxyURLError, "fragment", id="fragment"),
        pytest.param("http://-proxy-:3128", InvalidProxyURLError, "host name", id="bad-label"),
        pytest.param("http://999.1.2.3:3128", InvalidProxyURLError, "host name", id="bad-ipv4"),
        pytest.param("http://:3128", InvalidProxyURLError, "host name", id="no-host"),
        pytest.param("http://прокси:3128", InvalidProxyURLError, "host name", id="non-ascii"),
        pytest.param("http://[::1:3128", InvalidProxyURLError, "not a URL", id="open-bracket"),
        pytest.param("http://[fe80::zz]:3128", InvalidProxyURLError, "", id="bad-ipv6"),
        pytest.param(3128, InvalidProxyURLError, "not a proxy URL", id="int"),
        pytest.param(["http://proxy:3128"], InvalidProxyURLError, "not a proxy URL", id="list"),
    ],
)
def test_invalid_proxy_urls(url, error, reason):
    with pytest.raises(error) as caught:
        network.validate_proxy_url(url)
    assert isinstance(caught.value, ProxyURLError)
    assert isinstance(caught.value, ValueError)  # what the states catch
    assert reason in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (PacProxyError, "pac"),
        (WpadProxyError, "wpad"),
        (AuthenticatedProxyError, "authenticated"),
        (InvalidProxyURLError, "invalid"),
    ],
)
def test_error_kinds(error, kind):
    assert error.kind == kind


def test_unsupported_kinds_cite_the_page():
    for url in ("http://x/p.pac", "http://wpad:80", "http://u:p@proxy:3128"):
        with pytest.raises(ProxyURLError) as caught:
            network.validate_proxy_url(url)
        assert "Prerequisites for Microsoft Defender for Endpoint on Linux" in str(caught.value)


def test_normalize_and_address():
    assert network.normalize_proxy_url("HTTP://Proxy.Example:3128/") == "http://proxy.example:3128"
    assert network.normalize_proxy_url("http://[2001:DB8::1]:8080") == "http://[2001:db8::1]:8080"
    assert network.normalize_proxy_url(None) is None
    assert network.proxy_address("http://proxy:3128") == ("proxy", 3128)
    with pytest.raises(PacProxyError):
        network.proxy_address("http://x/p.pac")


# -- masking ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (None, None),
        ("", ""),
        ("http://proxy:3128", "http://proxy:3128"),
        (f"http://user:{SECRET}@proxy:3128", "http://***@proxy:3128"),
        (f"http://us er:{SECRET}@proxy:3128", "http://***@proxy:3128"),
        (f"http://user:{SECRET}/x@proxy:3128/", "http://***@proxy:3128/"),
        (f"http://user:{SECRET}\n@proxy:3128", "http://***@proxy:3128"),
        (f"user:{SECRET}@proxy:3128", "***@proxy:3128"),
        (f"http://user:a@b{SECRET}@proxy:3128", "http://***@proxy:3128"),
    ],
)
def test_mask_proxy(text, masked):
    assert network.mask_proxy(text) == masked


# -- /etc/environment ------------------------------------------------------------------------------
def test_parse_environment_file():
    text = (
        "# comment\n"
        'PATH="/usr/local/sbin:/usr/bin"\n'
        "HTTPS_PROXY=http://proxy:3128\n"
        "export https_proxy='http://other:8080'\n"
        "  no_proxy = localhost \n"
        "garbage line\n"
        "EMPTY=\n"
    )
    assert network.parse_environment_file(text) == {
        "PATH": "/usr/local/sbin:/usr/bin",
        "HTTPS_PROXY": "http://proxy:3128",
        "https_proxy": "http://other:8080",
        "no_proxy": "localhost",
        "EMPTY": "",
    }
    assert network.parse_environment_file(None) == {}


# -- discovery -------------------------------------------------------------------------------------
def managed(machine, proxy=None, **extra):
    body = dict(extra)
    if proxy is not None:
        body["cloudService"] = {"proxy": proxy}
    machine.write(data.MANAGED_JSON, json.dumps(body))


def install_mdatp(machine):
    machine.dpkg({"libc6": "2.36-9", "mdatp": "101.25042.0003"})


def test_discovery_order(machine):
    machine.write(
        data.ENVIRONMENT_FILE, "HTTPS_PROXY=http://file-upper:3\nhttps_proxy=http://file-lower:4\n"
    )
    environ = {"HTTPS_PROXY": "http://env-upper:1", "https_proxy": "http://env-lower:2"}
    host = machine.host(environ=environ)
    found = network.discover_proxy(host, settings(proxy="http://setting:9"))
    assert [item.source for item in found.install_sources] == [
        "mdeprereq:proxy",
        "HTTPS_PROXY in the environment",
        "https_proxy in the environment",
        "HTTPS_PROXY in /etc/environment",
        "https_proxy in /etc/environment",
    ]
    assert found.install.value == "http://setting:9"
    assert found.effective.value == "http://setting:9"
    # each source in turn, once the ones before it are gone
    found = network.discover_proxy(host, settings())
    assert found.install.value == "http://env-upper:1"
    del environ["HTTPS_PROXY"]
    assert network.discover_proxy(host, settings()).install.value == "http://env-lower:2"
    environ.clear()
    assert network.discover_proxy(host, settings()).install.value == "http://file-upper:3"
    machine.write(data.ENVIRONMENT_FILE, "https_proxy=http://file-lower:4\n")
    assert network.discover_proxy(host, settings()).install.value == "http://file-lower:4"
    machine.write(data.ENVIRONMENT_FILE, "PATH=/usr/bin\n")
    found = network.discover_proxy(host, settings())
    assert found.install is None
    assert found.effective is None


def test_environ_argument_overrides_the_host(machine):
    host = machine.host(environ={"HTTPS_PROXY": "http://from-host:1"})
    found = network.discover_proxy(host, settings(), environ={"https_proxy": "http://arg:2"})
    assert found.install.value == "http://arg:2"


def test_fixture_tree_has_an_empty_environment_by_default(machine, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://leaked:3128")
    assert network.discover_proxy(machine.host(), settings()).install is None


def test_effective_proxy_prefers_the_setting_then_the_managed_one(machine):
    managed(machine, "http://managed:8080")
    host = machine.host(environ={"HTTPS_PROXY": "http://env:1"})
    found = network.discover_proxy(host, settings())
    assert found.product.value == "http://managed:8080"
    assert found.install.value == "http://env:1"
    assert found.effective.value == "http://managed:8080"
    found = network.discover_proxy(host, settings(proxy="http://setting:9"))
    assert found.effective.value == "http://setting:9"


def test_pac_settings_are_found(machine):
    machine.write(data.ENVIRONMENT_FILE, 'auto_proxy="http://cfg/proxy.pac"\n')
    host = machine.host(environ={"AUTOCONFIG_URL": "http://cfg/x"})
    found = network.discover_proxy(host, settings())
    assert [item.source for item in found.pac_settings] == [
        "AUTOCONFIG_URL in the environment",
        "auto_proxy in /etc/environment",
    ]


# -- check_proxy -----------------------------------------------------------------------------------
def test_no_proxy_passes(machine):
    result = network.check_proxy(machine.host(), settings())
    assert result["status"] == "pass"
    assert "connects directly" in result["message"]
    assert result["facts"]["proxy"] is None


def test_static_proxy_from_the_environment_passes(machine):
    host = machine.host(environ={"HTTPS_PROXY": "http://proxy:3128"})
    result = network.check_proxy(host, settings())
    assert result["status"] == "pass", result
    assert "http://proxy:3128 (HTTPS_PROXY in the environment)" in result["message"]
    assert result["facts"]["source"] == "HTTPS_PROXY in the environment"


def test_applied_setting_passes(machine):
    managed(machine, "http://proxy:3128/")
    result = network.check_proxy(machine.host(), settings(proxy="http://PROXY:3128"))
    assert result["status"] == "pass", result


@pytest.mark.parametrize(
    ("configure", "kind", "text"),
    [
        pytest.param(
            lambda m: ({}, {"proxy": "http://cfg.corp/proxy.pac"}), "pac", "PAC", id="pac-setting"
        ),
        pytest.param(
            lambda m: ({"auto_proxy": "http://cfg.corp/x"}, {}), "pac", "auto_proxy", id="auto"
        ),
        pytest.param(
            lambda m: ({"HTTPS_PROXY": "http://wpad:80"}, {}), "wpad", "WPAD", id="wpad-env"
        ),
        pytest.param(
            lambda m: ({}, {"proxy": f"http://me:{SECRET}@proxy:3128"}),
            "authenticated",
            "credentials",
            id="auth-setting",
        ),
        pytest.param(
            lambda m: (managed(m, f"http://me:{SECRET}@proxy:3128") or {}, {}),
            "authenticated",
            "cloudService.proxy",
            id="auth-managed",
        ),
        pytest.param(
            lambda m: ({"https_proxy": "proxy:3128"}, {}), "invalid", "not a URL", id="garbage"
        ),
        pytest.param(
            lambda m: ({}, {"proxy": "http://proxy:3128\nrm -rf /"}),
            "invalid",
            "newline",
            id="newline",
        ),
    ],
)
def test_unsupported_proxies_fail(machine, configure, kind, text):
    environ, raw = configure(machine)
    result = network.check_proxy(machine.host(environ=environ), settings(**raw))
    assert result["status"] == "fail", result
    assert text in result["message"]
    assert result["remediation"]
    assert result["fixable"] is False
    if kind in ("pac", "wpad", "authenticated"):
        assert "PAC, WPAD and authenticated proxies aren't supported" in result["message"]
        assert "Prerequisites for Microsoft Defender for Endpoint on Linux" in result["message"]
    assert SECRET not in dumped(result)


def test_credentials_never_echoed_anywhere(machine):
    environ = {"HTTPS_PROXY": f"http://u:{SECRET}@env:1", "auto_proxy": f"http://u:{SECRET}@c/p"}
    machine.write(data.ENVIRONMENT_FILE, f"https_proxy=http://u:{SECRET}@file:2\n")
    managed(machine, f"http://u:{SECRET}@managed:3")
    host = machine.host(environ=environ)
    raw = {"proxy": f"http://u:{SECRET}@setting:4"}
    for check in (network.check_proxy, network.check_connectivity):
        result = check(host, settings(**raw))
        assert SECRET not in dumped(result), check
    facts = network.check_proxy(host, settings(**raw))["facts"]
    assert len(facts["sources"]) == 4
    assert all(s["proxy"].startswith("http://***@") for s in facts["sources"])


def test_managed_proxy_of_the_wrong_type_fails(machine):
    managed(machine, 3128)
    result = network.check_proxy(machine.host(), settings())
    assert result["status"] == "fail"
    assert "is a int, not a string" in result["message"]


def test_managed_json_broken_fails(machine):
    machine.write(data.MANAGED_JSON, "{not json")
    result = network.check_proxy(machine.host(), settings())
    assert result["status"] == "fail"
    assert "not valid JSON" in result["message"]


def test_managed_json_unreadable_warns(machine, monkeypatch):
    real = builtins.open
    managed_path = machine.host().path(data.MANAGED_JSON)

    def opener(path, *args, **kwargs):
        if str(path) == managed_path:
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", opener)
    result = network.check_proxy(machine.host(), settings())
    assert result["status"] == "warn"
    assert "Permission denied" in result["message"]


def test_setting_not_applied_is_fixable(machine):
    result = network.check_proxy(machine.host(), settings(proxy="http://proxy:3128"))
    assert result["status"] == "warn"
    assert result["fixable"] is True
    assert "mdeprereq.proxy_configured" in result["remediation"]
    assert "not applied" in result["message"]
    managed(machine, "http://old:8080")
    install_mdatp(machine)
    result = network.check_proxy(machine.host(), settings(proxy="http://proxy:3128"))
    assert result["status"] == "warn"
    assert result["fixable"] is True
    assert "http://old:8080" in result["message"]


def test_install_and_product_proxies_differ_warns(machine):
    managed(machine, "http://managed:8080")
    install_mdatp(machine)
    host = machine.host(environ={"HTTPS_PROXY": "http://env:3128"})
    result = network.check_proxy(host, settings())
    assert result["status"] == "warn", result
    assert result["fixable"] is False  # not configured in settings: nothing to apply
    assert "http://env:3128" in result["message"]
    assert "http://managed:8080" in result["message"]
    assert "differ" in result["message"]


def test_installed_mdatp_without_product_proxy_warns(machine):
    install_mdatp(machine)
    host = machine.host(environ={"HTTPS_PROXY": "http://env:3128"})
    result = network.check_proxy(host, settings())
    assert result["status"] == "warn"
    assert "connects directly" in result["message"]
    assert result["facts"]["mdatp_installed"] is True


def test_product_proxy_only_warns(machine):
    managed(machine, "http://managed:8080")
    result = network.check_proxy(machine.host(), settings())
    assert result["status"] == "warn"
    assert "no install-time proxy" in result["message"]


def test_not_installed_without_managed_json_takes_the_environment(machine):
    host = machine.host(environ={"HTTPS_PROXY": "http://env:3128"})
    assert network.check_proxy(host, settings())["status"] == "pass"


# -- geo from the onboarding JSON ------------------------------------------------------------------
def onboarding_json(body):
    """An onboarding JSON as the portal makes it: JSON in a string in JSON in a string."""
    info = {"body": json.dumps(body), "sig": "c2ln", "sha256sig": "c2ln", "cert": "Y2VydA=="}
    return json.dumps({"onboardingInfo": json.dumps(info)}, indent=2)


STREAMLINED_US = {
    "previousOrgIds": [],
    "orgId": "00000000-1111-2222-3333-444444444444",
    "geoLocationUrl": "https://edr-eus3.us.endpoint.security.microsoft.com/edr/",
    "datacenter": "EastUs3",
    "vortexGeoLocation": "US",
    "vortexServerUrl": "https://us-v20.events.endpoint.security.microsoft.com/OneCollector/1.0",
    "vortexTicketUrl": "https://events.data.microsoft.com",
    "partnerGeoLocation": "GW_US",
    "version": "2.06",
    "deviceType": "Server",
}
LEGACY_EU = {
    "previousOrgIds": [],
    "orgId": "00000000-1111-2222-3333-555555555555",
    "geoLocationUrl": "https://winatp-gw-weu.microsoft.com/",
    "datacenter": "WestEurope",
    "vortexGeoLocation": "EU",
    "version": "1.9",
}


@pytest.mark.parametrize(
    ("body", "geo"),
    [
        pytest.param(STREAMLINED_US, "us", id="streamlined-us"),
        pytest.param(LEGACY_EU, "eu", id="legacy-eu"),
        pytest.param({"vortexGeoLocation": "UK"}, "uk", id="uk"),
        pytest.param({"vortexGeoLocation": "GB"}, "uk", id="gb"),
        pytest.param({"partnerGeoLocation": "GW_AU"}, "au", id="partner-only"),
        pytest.param(
            {"geoLocationUrl": "https://edr-chn.ch.endpoint.security.microsoft.com/edr/"},
            "ch",
            id="from-url",
        ),
        pytest.param({"vortexGeoLocation": "MARS"}, None, id="unknown"),
    ],
)
def test_geo_from_onboarding(machine, body, geo):
    machine.write(data.ONBOARD_JSON, onboarding_json(body))
    info = network.read_onboarding(machine.host())
    assert info["geo"] == geo
    assert info["error"] is None
    assert "orgId" not in dumped(info)
    assert body.get("orgId", "no org id") not in dumped(info)


def test_no_onboarding_json(machine):
    assert network.read_onboarding(machine.host()) is None
    assert network.resolve_geo(machine.host(), settings()) == (None, None, None)


@pytest.mark.parametrize(
    "text",
    ["{broken", '{"onboardingInfo": "{not json"}', '{"onboardingInfo": {"nobody": 1}}', "[]"],
)
def test_broken_onboarding_json(machine, text):
    machine.write(data.ONBOARD_JSON, text)
    info = network.read_onboarding(machine.host())
    assert info["geo"] is None
    assert info["error"]


def test_setting_geo_wins_over_onboarding(machine):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    geo, source, info = network.resolve_geo(machine.host(), settings(geo="eu"))
    assert (geo, source, info["geo"]) == ("eu", "mdeprereq:geo", "us")
    geo, source, _ = network.resolve_geo(machine.host(), settings())
    assert (geo, source) == ("us", data.ONBOARD_JSON)


def test_default_urls():
    assert network.default_urls("eu") == [
        "https://mdav.eu.endpoint.security.microsoft.com/",
        *data.CONNECTIVITY_COMMON_URLS,
    ]
    assert network.default_urls(None) == list(data.CONNECTIVITY_COMMON_URLS)
    info = {
        "geo_location_url": STREAMLINED_US["geoLocationUrl"],
        "vortex_server_url": STREAMLINED_US["vortexServerUrl"],
    }
    urls = network.default_urls("us", info)
    assert urls[:4] == [
        "https://mdav.us.endpoint.security.microsoft.com/",
        "https://edr-cus.us.endpoint.security.microsoft.com/",
        STREAMLINED_US["geoLocationUrl"],
        STREAMLINED_US["vortexServerUrl"],
    ]
    assert len(urls) == len(set(urls)) == 7


def test_default_urls_cover_every_geo():
    for geo in data.GEOS:
        assert f"https://mdav.{geo}.endpoint.security.microsoft.com/" in network.default_urls(geo)


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
    assert network.issuer_organization_from_der(certificate(attributes)) == organization


@pytest.mark.parametrize("der", [b"", b"\x30", b"\x30\x82\xff\xff", b"garbage" * 10])
def test_issuer_organization_from_garbage(der):
    assert network.issuer_organization_from_der(der) is None


# -- judging the issuer ----------------------------------------------------------------------------
def entry(result="ok", issuer="Microsoft Corporation", detail="verified TLS handshake", **extra):
    base = {
        "url": "https://mdav.us.endpoint.security.microsoft.com/",
        "host": "mdav.us.endpoint.security.microsoft.com",
        "port": 443,
        "result": result,
        "detail": detail,
        "issuer": issuer,
        "elapsed": 0.1,
    }
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("given", "result", "inspected"),
    [
        pytest.param(entry(), "ok", False, id="microsoft"),
        pytest.param(entry(issuer="DigiCert Inc"), "ok", False, id="digicert"),
        pytest.param(entry(issuer="digicert inc "), "ok", False, id="case-and-space"),
        pytest.param(entry(issuer="Fortinet"), "tls", True, id="fortinet"),
        pytest.param(entry(issuer=None), "tls", True, id="no-organization"),
        pytest.param(
            entry("tls", "Zscaler Inc.", "certificate verification failed: x"),
            "tls",
            True,
            id="untrusted-interceptor",
        ),
        pytest.param(
            entry("tls", None, "certificate verification failed: x"), "tls", False, id="no-cert"
        ),
        pytest.param(
            entry("tls", "DigiCert Inc", "certificate verification failed: expired"),
            "tls",
            False,
            id="expected-but-failed",
        ),
        pytest.param(entry("timeout", None, "no answer"), "timeout", False, id="timeout"),
    ],
)
def test_judge_issuer(given, result, inspected):
    judged = network.judge_issuer(given, list(data.EXPECTED_ISSUER_ORGANIZATIONS))
    assert judged["result"] == result
    assert judged["detail"].startswith(network.INSPECTION) is inspected
    if inspected and given["issuer"]:
        assert repr(given["issuer"]) in judged["detail"]
    if inspected and given["result"] == "tls":
        assert given["detail"] in judged["detail"]


def test_judge_issuer_with_no_expectation_judges_nothing():
    assert network.judge_issuer(entry(issuer="Fortinet"), [])["result"] == "ok"


# -- the CONNECT exchange, on a socketpair ---------------------------------------------------------
def attempt(proxy="http://proxy:3128", timeout=2.0):
    return network._Attempt(
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
        probe = attempt(timeout=timeout)
        try:
            probe.tunnel(client)
            outcome = None
        except network._ProbeFailure as failure:
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

    monkeypatch.setattr(network, "_resolve", no_such_name)
    result = network.probe_url("https://mdav.us.endpoint.security.microsoft.com/", timeout=1)
    assert result["result"] == "dns"
    assert "does not resolve: Name or service not known" in result["detail"]
    result = network.probe_url("https://x.example/", proxy="http://proxy.corp:3128", timeout=1)
    assert result["result"] == "dns"
    assert "the proxy proxy.corp does not resolve" in result["detail"]


def test_probe_with_an_unusable_proxy_reports_it():
    result = network.probe_url("https://x.example/", proxy=f"http://u:{SECRET}@p:1", timeout=1)
    assert result["result"] == "proxy"
    assert SECRET not in dumped(result)


# -- probe_all: concurrency and the deadline -------------------------------------------------------
def test_probes_run_concurrently(monkeypatch):
    def slow_probe(url, proxy, timeout, context, *, deadline, progress):
        time.sleep(0.3)
        return {**entry(), "url": url}

    monkeypatch.setattr(network, "probe_url", slow_probe)
    start = time.monotonic()
    entries = network.probe_all([f"https://h{i}.example/" for i in range(10)], None, 2.0, None)
    assert time.monotonic() - start < 1.5  # not 10 x 0.3 s
    assert [e["url"] for e in entries] == [f"https://h{i}.example/" for i in range(10)]


def test_blocked_probe_reported_as_timeout_at_its_stage(monkeypatch):
    release = threading.Event()

    def stuck_in_dns(url, proxy, timeout, context, *, deadline, progress):
        progress["stage"] = "dns"
        release.wait(10)  # like a name lookup that never returns
        return entry()

    monkeypatch.setattr(network, "probe_url", stuck_in_dns)
    try:
        start = time.monotonic()
        entries = network.probe_all(["https://a.example/", "https://b.example/"], None, 0.3, None)
        elapsed = time.monotonic() - start
    finally:
        release.set()
    assert elapsed < 0.3 * 1.5 + network.JOIN_GRACE
    assert [e["result"] for e in entries] == ["timeout", "timeout"]
    assert entries[0]["detail"] == "no answer within 0.3s resolving the name"
    assert entries[0]["host"] == "a.example"


def test_a_probe_that_raises_is_reported(monkeypatch):
    def broken(url, proxy, timeout, context, *, deadline, progress):
        raise RuntimeError("boom")

    monkeypatch.setattr(network, "probe_url", broken)
    (result,) = network.probe_all(["https://a.example/"], None, 1.0, None)
    assert result["result"] == "tls"
    assert "RuntimeError: boom" in result["detail"]


# -- check_connectivity verdicts, with stand-in probes ---------------------------------------------
class FakeProbes:
    """Stands in for network.probe_url: answers per host, records what it was asked."""

    def __init__(self, answers=None, default=None):
        self.answers = answers or {}
        self.default = default or {"result": "ok", "issuer": "Microsoft Corporation"}
        self.calls = []

    def __call__(self, url, proxy, timeout, context, *, deadline, progress):
        self.calls.append({"url": url, "proxy": proxy, "timeout": timeout, "context": context})
        host, port = network.url_address(url)
        answer = {"detail": "verified TLS handshake", **self.answers.get(host, self.default)}
        return {"url": url, "host": host, "port": port, "elapsed": 0.01, **answer}


@pytest.fixture
def probes(monkeypatch):
    fake = FakeProbes()
    monkeypatch.setattr(network, "probe_url", fake)
    return fake


def test_all_reachable_passes(machine, probes):
    result = network.check_connectivity(machine.host(), settings(geo="us"), ssl_context="ctx")
    assert result["status"] == "pass", result
    assert "directly" in result["message"]
    hosts = [entry["host"] for entry in result["facts"]["urls"]]
    assert hosts[:2] == [
        "mdav.us.endpoint.security.microsoft.com",
        "edr-cus.us.endpoint.security.microsoft.com",
    ]
    assert {call["context"] for call in probes.calls} == {"ctx"}
    assert {call["timeout"] for call in probes.calls} == {data.CONNECTIVITY_TIMEOUT}
    facts = result["facts"]
    assert facts["geo"] == "us"
    assert facts["geo_source"] == "mdeprereq:geo"
    assert facts["counts"] == {"ok": len(hosts)}
    for item in facts["urls"]:
        assert set(item) == {"url", "host", "port", "result", "detail", "issuer", "elapsed"}


def test_default_context_is_the_system_store(machine, probes, monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    result = network.check_connectivity(machine.host(), settings(geo="eu"))
    assert result["facts"]["trust_store"]["cafile"] == str(bundle)
    assert all(call["context"] is not None for call in probes.calls)


def test_geo_unknown_warns(machine, probes):
    result = network.check_connectivity(machine.host(), settings())
    assert result["status"] == "warn"
    assert "geo is unknown" in result["message"]
    assert "mdeprereq:geo" in result["remediation"]
    assert [c["url"] for c in probes.calls] == list(data.CONNECTIVITY_COMMON_URLS)


def test_geo_mismatch_warns(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    result = network.check_connectivity(machine.host(), settings(geo="eu"))
    assert result["status"] == "warn"
    assert "mdeprereq:geo is eu but the onboarding JSON is for us" in result["message"]


def test_onboarding_geo_and_hosts_are_probed(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    result = network.check_connectivity(machine.host(), settings())
    assert result["status"] == "pass", result
    hosts = {c["url"] for c in probes.calls}
    assert STREAMLINED_US["geoLocationUrl"] in hosts
    assert result["facts"]["geo_source"] == data.ONBOARD_JSON
    assert "orgId" not in dumped(result)


def test_configured_urls_replace_the_defaults(machine, probes):
    urls = ["https://a.example/", "https://b.example:8443/", "https://a.example/"]
    raw = {"geo": "us", "connectivity": {"urls": urls, "timeout": 3}}
    network.check_connectivity(machine.host(), settings(**raw))
    assert [c["url"] for c in probes.calls] == urls[:2]
    assert {c["timeout"] for c in probes.calls} == {3.0}


def test_proxy_from_the_environment_is_used(machine, probes):
    host = machine.host(environ={"https_proxy": "http://proxy:3128"})
    result = network.check_connectivity(host, settings(geo="uk"))
    assert {c["proxy"] for c in probes.calls} == {"http://proxy:3128"}
    assert "through proxy http://proxy:3128 (https_proxy in the environment)" in result["message"]
    assert result["facts"]["proxy"] == "http://proxy:3128"


def test_unusable_proxy_skips(machine, probes):
    host = machine.host(environ={"HTTPS_PROXY": "http://cfg/proxy.pac"})
    result = network.check_connectivity(host, settings(geo="us"))
    assert result["status"] == "skip"
    assert "see the proxy check" in result["message"]
    assert probes.calls == []


def test_ssl_inspection_fails_naming_the_issuer(machine, probes):
    probes.answers = {
        "mdav.us.endpoint.security.microsoft.com": {"result": "ok", "issuer": "Fortinet"},
        "go.microsoft.com": {"result": "ok", "issuer": "Fortinet"},
    }
    result = network.check_connectivity(machine.host(), settings(geo="us"))
    assert result["status"] == "fail"
    assert result["message"].startswith("2 of 5 Defender URLs fail directly: " + network.INSPECTION)
    assert "'Fortinet'" in result["message"]
    assert "mdav.us.endpoint.security.microsoft.com:443, go.microsoft.com:443" in result["message"]
    assert "Exempt" in result["remediation"]
    assert result["fixable"] is False
    bad = [e for e in result["facts"]["urls"] if e["result"] != "ok"]
    assert {e["result"] for e in bad} == {"tls"}
    assert all(e["issuer"] == "Fortinet" for e in bad)


def test_expected_issuers_setting(machine, probes):
    probes.default = {"result": "ok", "issuer": "Corp Inspection CA"}
    raw = {"geo": "us", "connectivity": {"expected_issuers": ["Corp Inspection CA"]}}
    assert network.check_connectivity(machine.host(), settings(**raw))["status"] == "pass"


def test_every_kind_of_failure_is_reported(machine, probes):
    probes.answers = {
        "mdav.us.endpoint.security.microsoft.com": {
            "result": "dns",
            "issuer": None,
            "detail": "mdav.us... does not resolve: Name or service not known",
        },
        "edr-cus.us.endpoint.security.microsoft.com": {
            "result": "refused",
            "issuer": None,
            "detail": "refused the connection",
        },
        "packages.microsoft.com": {"result": "timeout", "issuer": None, "detail": "no answer"},
        "go.microsoft.com": {
            "result": "proxy",
            "issuer": None,
            "detail": "the proxy answered CONNECT go.microsoft.com:443 with "
            "'HTTP/1.1 403 Forbidden'",
        },
        "definitionupdates.microsoft.com": {
            "result": "tls",
            "issuer": None,
            "detail": "TLS handshake failed: WRONG_VERSION_NUMBER",
        },
    }
    result = network.check_connectivity(machine.host(), settings(geo="us"))
    assert result["status"] == "fail"
    assert result["message"].startswith("5 of 5 Defender URLs fail directly")
    for kind in ("dns", "refused", "timeout", "proxy", "tls"):
        assert f": {kind} (" in result["message"]
        assert network.CONNECTIVITY_REMEDIATIONS[kind] in result["remediation"]
    assert "'HTTP/1.1 403 Forbidden'" in result["message"]
    assert result["facts"]["counts"] == {"dns": 1, "refused": 1, "timeout": 1, "proxy": 1, "tls": 1}
