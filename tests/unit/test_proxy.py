"""The proxy check without a network: proxy URL validation, masking, /etc/environment, where
mdatp takes its proxy from, and the verdicts (``proxy.py``).

The real proxies are in tests/integration/test_network_real.py.
"""

import builtins
import json

import pytest

from mdeprereq_engine import connectivity, data, proxy
from mdeprereq_engine.proxy import (
    AuthenticatedProxyError,
    InvalidProxyURLError,
    PacProxyError,
    ProxyURLError,
    WpadProxyError,
)
from mdeprereq_engine.redact import mask_proxy
from tests.unit.network_samples import SECRET, dumped, settings


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
    assert proxy.validate_proxy_url(url) is None


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
        proxy.validate_proxy_url(url)
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
            proxy.validate_proxy_url(url)
        assert "Prerequisites for Microsoft Defender for Endpoint on Linux" in str(caught.value)


def test_normalize_and_address():
    assert proxy.normalize_proxy_url("HTTP://Proxy.Example:3128/") == "http://proxy.example:3128"
    assert proxy.normalize_proxy_url("http://[2001:DB8::1]:8080") == "http://[2001:db8::1]:8080"
    assert proxy.normalize_proxy_url(None) is None
    assert proxy.proxy_address("http://proxy:3128") == ("proxy", 3128)
    with pytest.raises(PacProxyError):
        proxy.proxy_address("http://x/p.pac")


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
    assert mask_proxy(text) == masked


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
    assert proxy.parse_environment_file(text) == {
        "PATH": "/usr/local/sbin:/usr/bin",
        "HTTPS_PROXY": "http://proxy:3128",
        "https_proxy": "http://other:8080",
        "no_proxy": "localhost",
        "EMPTY": "",
    }
    assert proxy.parse_environment_file(None) == {}


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
    found = proxy.discover_proxy(host, settings(proxy="http://setting:9"))
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
    found = proxy.discover_proxy(host, settings())
    assert found.install.value == "http://env-upper:1"
    del environ["HTTPS_PROXY"]
    assert proxy.discover_proxy(host, settings()).install.value == "http://env-lower:2"
    environ.clear()
    assert proxy.discover_proxy(host, settings()).install.value == "http://file-upper:3"
    machine.write(data.ENVIRONMENT_FILE, "https_proxy=http://file-lower:4\n")
    assert proxy.discover_proxy(host, settings()).install.value == "http://file-lower:4"
    machine.write(data.ENVIRONMENT_FILE, "PATH=/usr/bin\n")
    found = proxy.discover_proxy(host, settings())
    assert found.install is None
    assert found.effective is None


def test_environ_argument_overrides_the_host(machine):
    host = machine.host(environ={"HTTPS_PROXY": "http://from-host:1"})
    found = proxy.discover_proxy(host, settings(), environ={"https_proxy": "http://arg:2"})
    assert found.install.value == "http://arg:2"


def test_fixture_tree_has_an_empty_environment_by_default(machine, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://leaked:3128")
    assert proxy.discover_proxy(machine.host(), settings()).install is None


def test_effective_proxy_prefers_the_setting_then_the_managed_one(machine):
    managed(machine, "http://managed:8080")
    host = machine.host(environ={"HTTPS_PROXY": "http://env:1"})
    found = proxy.discover_proxy(host, settings())
    assert found.product.value == "http://managed:8080"
    assert found.install.value == "http://env:1"
    assert found.effective.value == "http://managed:8080"
    found = proxy.discover_proxy(host, settings(proxy="http://setting:9"))
    assert found.effective.value == "http://setting:9"


def test_pac_settings_are_found(machine):
    machine.write(data.ENVIRONMENT_FILE, 'auto_proxy="http://cfg/proxy.pac"\n')
    host = machine.host(environ={"AUTOCONFIG_URL": "http://cfg/x"})
    found = proxy.discover_proxy(host, settings())
    assert [item.source for item in found.pac_settings] == [
        "AUTOCONFIG_URL in the environment",
        "auto_proxy in /etc/environment",
    ]


# -- check_proxy -----------------------------------------------------------------------------------
def test_no_proxy_passes(machine):
    result = proxy.check_proxy(machine.host(), settings())
    assert result["status"] == "pass"
    assert "connects directly" in result["message"]
    assert result["facts"]["proxy"] is None


def test_static_proxy_from_the_environment_passes(machine):
    host = machine.host(environ={"HTTPS_PROXY": "http://proxy:3128"})
    result = proxy.check_proxy(host, settings())
    assert result["status"] == "pass", result
    assert "http://proxy:3128 (HTTPS_PROXY in the environment)" in result["message"]
    assert result["facts"]["source"] == "HTTPS_PROXY in the environment"


def test_applied_setting_passes(machine):
    managed(machine, "http://proxy:3128/")
    result = proxy.check_proxy(machine.host(), settings(proxy="http://PROXY:3128"))
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
    result = proxy.check_proxy(machine.host(environ=environ), settings(**raw))
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
    for check in (proxy.check_proxy, connectivity.check_connectivity):
        result = check(host, settings(**raw))
        assert SECRET not in dumped(result), check
    facts = proxy.check_proxy(host, settings(**raw))["facts"]
    assert len(facts["sources"]) == 4
    assert all(s["proxy"].startswith("http://***@") for s in facts["sources"])


def test_managed_proxy_of_the_wrong_type_fails(machine):
    managed(machine, 3128)
    result = proxy.check_proxy(machine.host(), settings())
    assert result["status"] == "fail"
    assert "is a int, not a string" in result["message"]


def test_managed_json_broken_fails(machine):
    machine.write(data.MANAGED_JSON, "{not json")
    result = proxy.check_proxy(machine.host(), settings())
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
    result = proxy.check_proxy(machine.host(), settings())
    assert result["status"] == "warn"
    assert "Permission denied" in result["message"]


def test_setting_not_applied_is_fixable(machine):
    result = proxy.check_proxy(machine.host(), settings(proxy="http://proxy:3128"))
    assert result["status"] == "warn"
    assert result["fixable"] is True
    assert "mdeprereq.proxy_configured" in result["remediation"]
    assert "not applied" in result["message"]
    managed(machine, "http://old:8080")
    install_mdatp(machine)
    result = proxy.check_proxy(machine.host(), settings(proxy="http://proxy:3128"))
    assert result["status"] == "warn"
    assert result["fixable"] is True
    assert "http://old:8080" in result["message"]


def test_install_and_product_proxies_differ_warns(machine):
    managed(machine, "http://managed:8080")
    install_mdatp(machine)
    host = machine.host(environ={"HTTPS_PROXY": "http://env:3128"})
    result = proxy.check_proxy(host, settings())
    assert result["status"] == "warn", result
    assert result["fixable"] is False  # not configured in settings: nothing to apply
    assert "http://env:3128" in result["message"]
    assert "http://managed:8080" in result["message"]
    assert "differ" in result["message"]


def test_installed_mdatp_without_product_proxy_warns(machine):
    install_mdatp(machine)
    host = machine.host(environ={"HTTPS_PROXY": "http://env:3128"})
    result = proxy.check_proxy(host, settings())
    assert result["status"] == "warn"
    assert "connects directly" in result["message"]
    assert result["facts"]["mdatp_installed"] is True


def test_product_proxy_only_warns(machine):
    managed(machine, "http://managed:8080")
    result = proxy.check_proxy(machine.host(), settings())
    assert result["status"] == "warn"
    assert "no install-time proxy" in result["message"]


def test_not_installed_without_managed_json_takes_the_environment(machine):
    host = machine.host(environ={"HTTPS_PROXY": "http://env:3128"})
    assert proxy.check_proxy(host, settings())["status"] == "pass"
