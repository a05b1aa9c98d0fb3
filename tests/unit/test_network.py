"""Network checks without a network: proxy validation and discovery, masking, geo from the
onboarding JSON, the CONNECT exchange on a socketpair, and the verdicts built from stand-in probes.

The real proxies and TLS servers are in tests/integration/test_network_real.py.
"""

import datetime
import json
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from mdeprereq_engine import data, network, roots
from mdeprereq_engine.network import (
    AuthenticatedProxyError,
    InvalidProxyURLError,
    PacProxyError,
    ProxyURLError,
    WpadProxyError,
)
from mdeprereq_engine.settings import Settings, SettingsError

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
    real = type(machine.host()).read_text

    def read_text(self, path):
        if path == data.MANAGED_JSON:
            raise PermissionError(13, "Permission denied")
        return real(self, path)

    monkeypatch.setattr(type(machine.host()), "read_text", read_text)
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


def test_default_urls_streamlined():
    eu = network.default_urls("eu")
    assert eu == [
        "https://mdav.eu.endpoint.security.microsoft.com/mdav/test",
        "https://edr-weu.eu.endpoint.security.microsoft.com/edr/commands/test",
        "https://edr-neu.eu.endpoint.security.microsoft.com/edr/commands/test",
        "https://edr-weu3.eu.endpoint.security.microsoft.com/edr/commands/test",
        "https://edr-neu3.eu.endpoint.security.microsoft.com/edr/commands/test",
        data.ECS_URL,
        *data.CONNECTIVITY_COMMON_URLS,
    ]
    assert network.default_urls(None) == [data.ECS_URL, *data.CONNECTIVITY_COMMON_URLS]
    info = {
        "kind": "streamlined",
        "geo_location_url": STREAMLINED_US["geoLocationUrl"],
        "vortex_server_url": STREAMLINED_US["vortexServerUrl"],
    }
    urls = network.default_urls("us", info)
    hosts = [network.url_address(url)[0] for url in urls]
    assert hosts == [
        "mdav.us.endpoint.security.microsoft.com",
        "edr-cus.us.endpoint.security.microsoft.com",
        "edr-eus.us.endpoint.security.microsoft.com",
        "edr-cus3.us.endpoint.security.microsoft.com",
        "edr-eus3.us.endpoint.security.microsoft.com",  # the blob's geoLocationUrl: same host
        "us-v20.events.endpoint.security.microsoft.com",
        "config.edge.skype.com",
        "packages.microsoft.com",
        "go.microsoft.com",
        "definitionupdates.microsoft.com",
    ]


def test_ecs_url_is_the_one_microsoft_names():
    assert data.ECS_URL == "https://config.edge.skype.com/config/v1"
    for geo in data.COMMERCIAL_GEOS:
        assert data.ECS_URL in network.default_urls(geo)


def test_india_is_ina():
    urls = network.default_urls("in")
    assert "https://mdav.ina.endpoint.security.microsoft.com/mdav/test" in urls
    assert not any(".in.endpoint.security" in url for url in urls)


@pytest.mark.parametrize(
    ("geo", "label"), [("us", "us"), ("eu", "eu"), ("uk", "uk"), ("au", "au"), ("ch", "ch")]
)
def test_every_commercial_geo_has_its_mdav_host(geo, label):
    url = f"https://mdav.{label}.endpoint.security.microsoft.com/mdav/test"
    assert network.default_urls(geo)[0] == url


@pytest.mark.parametrize(
    ("geo", "number", "ecs"),
    [
        ("gcc", 4, "gccmod.ecs.office.com"),
        ("gcc-high", 1, "config.ecs.gov.teams.microsoft.us"),
        ("dod", 2, "config.ecs.dod.teams.microsoft.us"),
    ],
)
def test_us_government_geos_have_their_own_hosts_and_ecs(geo, number, ecs):
    hosts = [network.url_address(url)[0] for url in network.default_urls(geo)]
    assert f"unitedstates{number}.cp.wd.microsoft.us" in hosts
    assert f"unitedstates{number}.x.cp.wd.microsoft.us" in hosts
    assert ecs in hosts
    assert "config.edge.skype.com" not in hosts  # the commercial ECS is not theirs
    assert not any(host.endswith(".endpoint.security.microsoft.com") for host in hosts)
    assert settings(geo=geo).geo == geo


def test_us_government_geo_with_its_onboarding_hosts():
    info = {"geo_location_url": "https://edr-usgv.gcc.endpoint.security.microsoft.us/edr/"}
    hosts = [network.url_address(url)[0] for url in network.default_urls("gcc-high", info)]
    assert "edr-usgv.gcc.endpoint.security.microsoft.us" in hosts


@pytest.mark.parametrize(
    ("body", "kind", "geo"),
    [
        pytest.param(STREAMLINED_US, "streamlined", "us", id="streamlined-us"),
        pytest.param(LEGACY_EU, "legacy", "eu", id="legacy-eu"),
        pytest.param({"partnerGeoLocation": "GW_UK"}, "streamlined", "uk", id="gw-only"),
        pytest.param({"vortexGeoLocation": "AU"}, "legacy", "au", id="vortex-only"),
        pytest.param(
            {"vortexGeoLocation": "IN", "partnerGeoLocation": "GW_IN"}, "streamlined", "in", id="in"
        ),
        pytest.param({"orgId": "x"}, None, None, id="neither"),
    ],
)
def test_onboarding_kind_as_the_analyzer_decides(machine, body, kind, geo):
    machine.write(data.ONBOARD_JSON, onboarding_json(body))
    info = network.read_onboarding(machine.host())
    assert (info["kind"], info["geo"]) == (kind, geo)


def test_legacy_onboarding_is_probed_with_the_legacy_set(machine):
    machine.write(data.ONBOARD_JSON, onboarding_json(LEGACY_EU))
    info = network.read_onboarding(machine.host())
    hosts = [network.url_address(url)[0] for url in network.default_urls("eu", info)]
    assert hosts[:4] == [
        "europe.cp.wd.microsoft.com",
        "usseu1northprod.blob.core.windows.net",
        "usseu1westprod.blob.core.windows.net",
        "europe.x.cp.wd.microsoft.com",
    ]
    for host in ("winatp-gw-weu.microsoft.com", "winatp-gw-neu3.microsoft.com"):
        assert host in hosts
    assert "eu-v20.events.data.microsoft.com" in hosts
    assert not any(host.endswith(".endpoint.security.microsoft.com") for host in hosts)
    assert "config.edge.skype.com" in hosts
    assert hosts[-3:] == [
        "packages.microsoft.com",
        "go.microsoft.com",
        "definitionupdates.microsoft.com",
    ]


@pytest.mark.parametrize("geo", data.COMMERCIAL_GEOS)
def test_every_commercial_geo_has_a_legacy_set(geo):
    urls = network.default_urls(geo, {"kind": "legacy"})
    assert any(".cp.wd.microsoft.com" in url for url in urls)
    assert not any("endpoint.security.microsoft" in url for url in urls)


def test_every_geo_is_a_setting():
    for geo in data.GEOS:
        assert settings(geo=geo).geo == geo
        assert network.default_urls(geo)


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
def entry(url="https://mdav.us.endpoint.security.microsoft.com/"):
    return {**network._new_entry(url), "result": "ok", "detail": "verified TLS handshake"}


def test_probes_run_concurrently(monkeypatch):
    def slow_probe(url, proxy, timeout, trust, *, system, deadline, progress):
        time.sleep(0.3)
        return {**entry(), "url": url}

    monkeypatch.setattr(network, "probe_url", slow_probe)
    start = time.monotonic()
    entries = network.probe_all([f"https://h{i}.example/" for i in range(10)], None, 2.0, None)
    assert time.monotonic() - start < 1.5  # not 10 x 0.3 s
    assert [e["url"] for e in entries] == [f"https://h{i}.example/" for i in range(10)]


def test_blocked_probe_reported_as_timeout_at_its_stage(monkeypatch):
    release = threading.Event()

    def stuck_in_dns(url, proxy, timeout, trust, *, system, deadline, progress):
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
    def broken(url, proxy, timeout, trust, *, system, deadline, progress):
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
        self.default = default or {
            "result": "ok",
            "issuer": "Microsoft Corporation",
            "root": "Microsoft Root Certificate Authority 2011",
        }
        self.calls = []

    def __call__(self, url, proxy, timeout, trust, *, system, deadline, progress):
        self.calls.append({"url": url, "proxy": proxy, "timeout": timeout, "trust": trust})
        host, port = network.url_address(url)
        answer = {
            "detail": "verified TLS handshake",
            "issuer": None,
            "root": None,
            "inspected_by": None,
            **self.answers.get(host, self.default),
        }
        return {"url": url, "host": host, "port": port, "elapsed": 0.01, **answer}


@pytest.fixture
def probes(monkeypatch):
    fake = FakeProbes()
    monkeypatch.setattr(network, "probe_url", fake)
    return fake


ENTRY_KEYS = {
    "url",
    "host",
    "port",
    "result",
    "detail",
    "issuer",
    "root",
    "inspected_by",
    "elapsed",
}


def test_all_reachable_passes(machine, probes):
    result = network.check_connectivity(machine.host(), settings(geo="us"))
    assert result["status"] == "pass", result
    assert "directly" in result["message"]
    assert "the shipped roots" in result["message"]
    hosts = [entry["host"] for entry in result["facts"]["urls"]]
    assert hosts[:2] == [
        "mdav.us.endpoint.security.microsoft.com",
        "edr-cus.us.endpoint.security.microsoft.com",
    ]
    assert {call["timeout"] for call in probes.calls} == {data.CONNECTIVITY_TIMEOUT}
    facts = result["facts"]
    assert facts["geo"] == "us"
    assert facts["geo_source"] == "mdeprereq:geo"
    assert facts["counts"] == {"ok": len(hosts)}
    assert facts["trust"]["source"] == "the shipped roots"
    assert sorted(facts["trust"]["roots"]) == sorted(root.name for root in roots.SHIPPED_ROOTS)
    for item in facts["urls"]:
        assert set(item) == ENTRY_KEYS


def test_the_shipped_roots_are_what_verifies(machine, probes):
    network.check_connectivity(machine.host(), settings(geo="eu"))
    (trust,) = {id(call["trust"]): call["trust"] for call in probes.calls}.values()
    assert trust.context.verify_mode == ssl.CERT_REQUIRED
    assert trust.context.check_hostname is True
    shipped = {root.sha256 for root in roots.SHIPPED_ROOTS}
    assert {sha for _subject, sha in trust.roots} == shipped


def test_roots_setting_replaces_the_shipped_roots(machine, probes, tmp_path):
    pem = tmp_path / "roots.pem"
    pem.write_text(roots.DIGICERT_G2.pem)
    raw = {"geo": "eu", "connectivity": {"roots": str(pem)}}
    result = network.check_connectivity(machine.host(), settings(**raw))
    assert result["facts"]["trust"] == {"source": str(pem), "roots": ["DigiCert Global Root G2"]}


@pytest.mark.parametrize(
    ("content", "text"), [(None, "can't be read"), ("not a certificate\n", "holds no PEM")]
)
def test_unusable_roots_file_fails_naming_the_key(machine, probes, tmp_path, content, text):
    pem = tmp_path / "roots.pem"
    if content is not None:
        pem.write_text(content)
    raw = {"geo": "eu", "connectivity": {"roots": str(pem)}}
    result = network.check_connectivity(machine.host(), settings(**raw))
    assert result["status"] == "fail"
    assert "mdeprereq:connectivity:roots" in result["message"]
    assert text in result["message"]
    assert probes.calls == []


def test_expected_issuers_is_gone_with_a_clear_error():
    with pytest.raises(SettingsError) as error:
        settings(connectivity={"expected_issuers": ["Microsoft Corporation"]})
    assert "expected_issuers" in str(error.value)
    assert "mdeprereq:connectivity:roots" in str(error.value)


@pytest.mark.parametrize("value", ["relative/roots.pem", ["/a.pem"], 3, "/etc/x\n.pem"])
def test_bad_roots_setting(value):
    with pytest.raises(SettingsError, match="mdeprereq:connectivity:roots"):
        settings(connectivity={"roots": value})


def test_geo_unknown_warns(machine, probes):
    result = network.check_connectivity(machine.host(), settings())
    assert result["status"] == "warn"
    assert "geo is unknown" in result["message"]
    assert "mdeprereq:geo" in result["remediation"]
    assert [c["url"] for c in probes.calls] == [data.ECS_URL, *data.CONNECTIVITY_COMMON_URLS]


def test_geo_mismatch_warns(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    result = network.check_connectivity(machine.host(), settings(geo="eu"))
    assert result["status"] == "warn"
    assert "mdeprereq:geo is eu but the onboarding JSON is for us" in result["message"]


def test_onboarding_geo_and_hosts_are_probed(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    result = network.check_connectivity(machine.host(), settings())
    assert result["status"] == "pass", result
    urls = {c["url"] for c in probes.calls}
    assert STREAMLINED_US["vortexServerUrl"] in urls
    assert result["facts"]["geo_source"] == data.ONBOARD_JSON
    assert result["facts"]["onboarding_kind"] == "streamlined"
    assert "orgId" not in dumped(result)


def test_legacy_onboarding_probes_the_legacy_hosts(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(LEGACY_EU))
    result = network.check_connectivity(machine.host(), settings())
    assert result["facts"]["onboarding_kind"] == "legacy"
    hosts = {network.url_address(c["url"])[0] for c in probes.calls}
    assert "winatp-gw-weu.microsoft.com" in hosts
    assert "mdav.eu.endpoint.security.microsoft.com" not in hosts


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


FORTINET = "C=US, O=Fortinet, CN=FortiGate CA"


def test_ssl_inspection_fails_naming_the_ca_and_the_hosts(machine, probes):
    inspected = {"result": "inspection", "issuer": "Fortinet", "inspected_by": FORTINET}
    probes.answers = {
        "mdav.uk.endpoint.security.microsoft.com": {**inspected, "detail": "SSL inspection ..."},
        "go.microsoft.com": {**inspected, "detail": "SSL inspection ..."},
    }
    result = network.check_connectivity(machine.host(), settings(geo="uk"))
    assert result["status"] == "fail"
    assert result["message"].startswith(
        "2 of 7 Defender URLs fail directly: " + network.INSPECTION_MESSAGE
    )
    assert repr(FORTINET) in result["message"]
    assert "mdav.uk.endpoint.security.microsoft.com:443, go.microsoft.com:443" in result["message"]
    assert (
        "Hosts to exempt: mdav.uk.endpoint.security.microsoft.com:443, go.microsoft.com:443"
        in (result["remediation"])
    )
    assert network.CONNECTIVITY_REMEDIATIONS["inspection"] in result["remediation"]
    assert result["fixable"] is False
    assert result["facts"]["counts"] == {"ok": 5, "inspection": 2}


def test_every_kind_of_failure_is_reported(machine, probes):
    probes.answers = {
        "mdav.au.endpoint.security.microsoft.com": {
            "result": "dns",
            "detail": "mdav.au... does not resolve: Name or service not known",
        },
        "edr-aus.au.endpoint.security.microsoft.com": {
            "result": "refused",
            "detail": "refused the connection",
        },
        "packages.microsoft.com": {"result": "timeout", "detail": "no answer"},
        "go.microsoft.com": {
            "result": "proxy",
            "detail": "the proxy answered CONNECT go.microsoft.com:443 with "
            "'HTTP/1.1 403 Forbidden'",
        },
        "definitionupdates.microsoft.com": {
            "result": "tls",
            "detail": "certificate verification failed: certificate has expired",
        },
        "config.edge.skype.com": {
            "result": "inspection",
            "detail": "SSL inspection ...",
            "inspected_by": FORTINET,
        },
    }
    result = network.check_connectivity(machine.host(), settings(geo="au"))
    assert result["status"] == "fail"
    assert result["message"].startswith("6 of 7 Defender URLs fail directly")
    for kind in ("dns", "refused", "timeout", "proxy", "tls"):
        assert f": {kind} (" in result["message"]
        assert network.CONNECTIVITY_REMEDIATIONS[kind] in result["remediation"]
    assert network.CONNECTIVITY_REMEDIATIONS["inspection"] in result["remediation"]
    assert "'HTTP/1.1 403 Forbidden'" in result["message"]
    assert result["facts"]["counts"] == {
        "ok": 1,
        "dns": 1,
        "refused": 1,
        "timeout": 1,
        "proxy": 1,
        "tls": 1,
        "inspection": 1,
    }


# -- `mdatp connectivity test`: Microsoft's sample output, parsed and compared ---------------------
# Microsoft's own sample, verbatim (MicrosoftDocs/defender-docs,
# defender-endpoint/linux-support-connectivity.md, "Expected output:", at commit
# 0055bdac1dfafc496c638841f49e7cdd2142314a)
MDATP_SAMPLE = """\
Testing connection with https://cdn.x.cp.wd.microsoft.com/ping ... [OK]
Testing connection with https://eu-cdn.x.cp.wd.microsoft.com/ping ... [OK]
Testing connection with https://wu-cdn.x.cp.wd.microsoft.com/ping ... [OK]
Testing connection with https://x.cp.wd.microsoft.com/api/report ... [OK]
Testing connection with https://winatp-gw-cus.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-eus.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-weu.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-neu.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-ukw.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-uks.microsoft.com/test ... [OK]
Testing connection with https://eu-v20.events.data.microsoft.com/ping ... [OK]
Testing connection with https://us-v20.events.data.microsoft.com/ping ... [OK]
Testing connection with https://uk-v20.events.data.microsoft.com/ping ... [OK]
Testing connection with https://v20.events.data.microsoft.com/ping ... [OK]
"""
# A failing line as Microsoft's XMDE analyzer prints the same test (mde_tools connectivity
# perform_test: "Testing connection with {url} ... [ERROR]", then "\t {error}")
MDATP_FAILING = MDATP_SAMPLE.replace(
    "https://winatp-gw-neu.microsoft.com/test ... [OK]\n",
    "https://winatp-gw-neu.microsoft.com/test ... [ERROR]\n\t SSL cert issue\n",
)


def test_parse_microsofts_sample():
    parsed = network.parse_mdatp_connectivity_test(MDATP_SAMPLE)
    assert len(parsed) == 14
    assert parsed[0] == {
        "url": "https://cdn.x.cp.wd.microsoft.com/ping",
        "outcome": "OK",
        "ok": True,
        "detail": "",
    }
    assert all(item["ok"] for item in parsed)
    assert parsed[-1]["url"] == "https://v20.events.data.microsoft.com/ping"


def test_parse_a_failure_with_its_detail():
    parsed = {item["url"]: item for item in network.parse_mdatp_connectivity_test(MDATP_FAILING)}
    failed = parsed["https://winatp-gw-neu.microsoft.com/test"]
    assert failed == {
        "url": "https://winatp-gw-neu.microsoft.com/test",
        "outcome": "ERROR",
        "ok": False,
        "detail": "SSL cert issue",
    }
    assert sum(not item["ok"] for item in parsed.values()) == 1


def test_parse_masks_credentials_and_ignores_noise():
    text = f"ATTENTION: something\nTesting connection with https://u:{SECRET}@x.example/ ... [OK]\n"
    (item,) = network.parse_mdatp_connectivity_test(text)
    assert SECRET not in dumped(item)
    assert network.parse_mdatp_connectivity_test("") == []


def stub_mdatp(tmp_path, output, code=0):
    """A small executable of our own that prints ``output`` (the cited sample) like the CLI."""
    sample = tmp_path / "sample.txt"
    sample.write_text(output)
    stub = tmp_path / "mdatp"
    stub.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2" = "connectivity test" ] || { echo "unexpected: $*" >&2; exit 2; }\n'
        f'cat "{sample}"\nexit {code}\n'
    )
    stub.chmod(0o755)
    return str(stub)


def running_mdatp(machine, tmp_path):
    """mdatp installed (its daemon file) and running (a /proc entry whose exe is the daemon)."""
    daemon = f"{data.DEFAULT_INSTALL_PATH}/{data.DAEMON_RELATIVE_PATH}"
    machine.write(daemon, "")
    (machine.proc / "4242").mkdir(parents=True)
    (machine.proc / "4242" / "exe").symlink_to(daemon)
    return machine.host()


def test_mdatp_agreeing_with_the_probes_passes(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    stub = stub_mdatp(tmp_path, MDATP_SAMPLE)
    result = network.check_connectivity(host, settings(geo="eu"), mdatp_command=[stub])
    assert result["status"] == "pass", result
    test = result["facts"]["mdatp_connectivity_test"]
    assert test["ran"] is True
    assert len(test["urls"]) == 14
    assert all(item["ours"] is None for item in test["urls"])  # legacy hosts: not probed here


def test_mdatp_failure_is_a_warning_naming_it(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    stub = stub_mdatp(tmp_path, MDATP_FAILING)
    result = network.check_connectivity(host, settings(geo="eu"), mdatp_command=[stub])
    assert result["status"] == "warn", result
    assert (
        "mdatp connectivity test says [ERROR] for https://winatp-gw-neu.microsoft.com/test "
        "(SSL cert issue)" in result["message"]
    )
    assert result["remediation"] == network.MDATP_REMEDIATION


def test_disagreement_names_both(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    probes.answers = {"winatp-gw-neu.microsoft.com": {"result": "ok", "root": "x"}}
    stub = stub_mdatp(tmp_path, MDATP_FAILING)
    raw = {"connectivity": {"urls": ["https://winatp-gw-neu.microsoft.com/"]}}
    result = network.check_connectivity(host, settings(**raw), mdatp_command=[stub])
    assert result["status"] == "warn"
    assert (
        "winatp-gw-neu.microsoft.com: this check says ok but mdatp connectivity test says "
        "[ERROR] for https://winatp-gw-neu.microsoft.com/test" in result["message"]
    )
    (item,) = [i for i in result["facts"]["mdatp_connectivity_test"]["urls"] if not i["ok"]]
    assert item["ours"] == "ok"


def test_disagreement_the_other_way_adds_to_the_failure(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    probes.answers = {"winatp-gw-weu.microsoft.com": {"result": "timeout", "detail": "no answer"}}
    stub = stub_mdatp(tmp_path, MDATP_SAMPLE)
    raw = {"connectivity": {"urls": ["https://winatp-gw-weu.microsoft.com/"]}}
    result = network.check_connectivity(host, settings(**raw), mdatp_command=[stub])
    assert result["status"] == "fail"
    assert (
        "Also: winatp-gw-weu.microsoft.com: this check says timeout but mdatp connectivity "
        "test says [OK]" in result["message"]
    )
    assert network.MDATP_REMEDIATION in result["remediation"]


def test_mdatp_not_run_unless_installed_and_running(machine, probes, tmp_path):
    stub = stub_mdatp(tmp_path, MDATP_FAILING)
    result = network.check_connectivity(machine.host(), settings(geo="eu"), mdatp_command=[stub])
    assert "mdatp_connectivity_test" not in result["facts"]
    machine.write(f"{data.DEFAULT_INSTALL_PATH}/{data.DAEMON_RELATIVE_PATH}", "")
    result = network.check_connectivity(machine.host(), settings(geo="eu"), mdatp_command=[stub])
    assert "mdatp_connectivity_test" not in result["facts"]  # installed, daemon not running


def test_mdatp_that_cannot_run_warns(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    missing = str(tmp_path / "no-such-mdatp")
    result = network.check_connectivity(host, settings(geo="eu"), mdatp_command=[missing])
    assert result["status"] == "warn"
    assert "could not be run" in result["message"]
    stub = stub_mdatp(tmp_path, "Could not connect to the daemon\n", code=1)
    result = network.check_connectivity(host, settings(geo="eu"), mdatp_command=[stub])
    assert result["status"] == "warn"
    assert "exited with 1 and tested no URL: Could not connect to the daemon" in result["message"]


GOV_STREAMLINED = {
    "orgId": "00000000-1111-2222-3333-666666666666",
    "geoLocationUrl": "https://edr-usgv.gcc.endpoint.security.microsoft.us/edr/",
    "vortexGeoLocation": "US",
    "partnerGeoLocation": "GW_US",
}


def test_us_government_onboarding_is_not_probed_as_commercial(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(GOV_STREAMLINED))
    info = network.read_onboarding(machine.host())
    assert info["us_government"] is True
    assert info["geo"] is None
    result = network.check_connectivity(machine.host(), settings())
    assert result["status"] == "warn"
    assert "the onboarding JSON is for a US government cloud" in result["message"]
    assert "gcc, gcc-high, dod" in result["remediation"]
    hosts = {network.url_address(c["url"])[0] for c in probes.calls}
    assert "edr-usgv.gcc.endpoint.security.microsoft.us" in hosts
    assert not any(host.endswith(".endpoint.security.microsoft.com") for host in hosts)
    assert "config.edge.skype.com" not in hosts  # the commercial ECS
    probes.calls.clear()
    result = network.check_connectivity(machine.host(), settings(geo="gcc-high"))
    assert result["status"] == "pass", result
    hosts = {network.url_address(c["url"])[0] for c in probes.calls}
    assert "config.ecs.gov.teams.microsoft.us" in hosts
