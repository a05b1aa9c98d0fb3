"""The ``proxy`` and ``connectivity`` checks: reach Defender's cloud the way mdatp will.

Microsoft's prerequisites page: endpoints must reach ``*.endpoint.security.microsoft.com`` with no
proxy, a transparent proxy or a static proxy. PAC, WPAD and authenticated proxies are unsupported,
and so are SSL inspection and intercepting proxies ("adding your interception certificate to the
global store doesn't enable interception").

- :func:`validate_proxy_url` judges one proxy setting (pure; the states reuse it to refuse a bad
  proxy before writing anything). :func:`discover_proxy` finds every proxy mdatp could use.
- :func:`check_proxy` judges what was found; :func:`check_connectivity` resolves, connects (HTTP
  CONNECT through the proxy when there is one) and completes a TLS handshake with each Defender
  URL, all at once in threads, all bounded by one timeout. Trust is by key, as Defender pins its
  connections: a chain is genuine only when it verifies to the roots in ``roots.py`` (or
  ``mdeprereq:connectivity:roots``); the operating system's store never decides. A chain that
  ends in another CA, or in one copying a root's name, is SSL inspection. Once mdatp runs,
  `mdatp connectivity test` is run beside the probes and compared with them.

Proxy credentials never leave this module: every proxy URL in a message or a fact goes through
:func:`mask_proxy`. Standard library only.
"""

import _ssl
import dataclasses
import hashlib
import ipaddress
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

from . import data, roots
from .errors import MdeprereqError
from .redact import mask_proxy, mask_url
from .result import FAIL, PASS, SKIP, WARN, verdict

PAGE = "Microsoft's 'Prerequisites for Microsoft Defender for Endpoint on Linux' page"
UNSUPPORTED = f"PAC, WPAD and authenticated proxies aren't supported ({PAGE})"
INSPECTION_MESSAGE = "SSL inspection is not supported: exempt these hosts from inspection"
SETTING_SOURCE = "mdeprereq:proxy"
MANAGED_SOURCE = f"{data.MANAGED_PROXY_KEY} in {data.MANAGED_JSON}"

# Per-URL results of the connectivity check
OK, DNS, REFUSED, TIMEOUT, PROXY, TLS = "ok", "dns", "refused", "timeout", "proxy", "tls"
INSPECTION = "inspection"
RESULTS = (OK, DNS, REFUSED, TIMEOUT, PROXY, TLS, INSPECTION)
# OpenSSL's verification errors (X509_V_ERR_*) that mean "this chain does not lead to a trusted
# root": no issuer found, a self-signed certificate that is not a trusted root, a signature that
# does not match the issuer's key (a CA copying a root's name), an issuer that isn't a CA. Any other
# verification error (expired: 10, not yet valid: 9, wrong host: 62/64, revoked: 23, ...) is "tls".
NOT_TRUSTED_CHAIN_CODES = frozenset({2, 4, 6, 7, 18, 19, 20, 21, 24, 27, 28, 29, 30, 31})
MAX_ROOTS_FILE = 1 << 20
# How long past the deadline to wait for a probe thread still blocked (a name lookup can't be
# interrupted); after that its URL is reported as a timeout and the thread is left behind
JOIN_GRACE = 0.25
MAX_PROXY_ANSWER = 65536
_STAGES = {
    "dns": "resolving the name",
    "connect": "connecting",
    "proxy": "waiting for the proxy to answer CONNECT",
    "tls": "in the TLS handshake",
}
# The same, naming what was waited for
_STAGES_NAMED = {"connect": "connecting to {}", "proxy": "waiting for the proxy to answer {}"}


# -- proxy URLs ------------------------------------------------------------------------------------
class ProxyURLError(MdeprereqError):
    """A proxy setting mdatp can't use. The message says why; credentials in it are masked."""

    kind = "invalid"


class PacProxyError(ProxyURLError):
    """A proxy auto-config (PAC) script instead of a static proxy."""

    kind = "pac"


class WpadProxyError(ProxyURLError):
    """Web proxy auto-discovery (WPAD) instead of a static proxy."""

    kind = "wpad"


class AuthenticatedProxyError(ProxyURLError):
    """A proxy URL with credentials (``user:password@``)."""

    kind = "authenticated"


class InvalidProxyURLError(ProxyURLError):
    """Not an ``http://host:port`` URL at all."""

    kind = "invalid"


def _describe_character(character):
    names = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", " ": "a space"}
    return names.get(character, f"the character U+{ord(character):04X}")


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _valid_hostname(hostname):
    if not hostname or len(hostname) > 253 or not hostname.isascii():
        return False
    labels = hostname.rstrip(".").split(".")
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(hostname)
        except ValueError:
            return False
        return True
    return all(_HOST_LABEL.match(label) for label in labels)


def validate_proxy_url(url):
    """Judge a proxy setting: None when mdatp can use it (``http://host:port``, or no proxy).

    :raises ProxyURLError: a subclass naming what is wrong (PAC, WPAD, credentials, not a URL);
        its message shows the URL with credentials masked
    """
    if url is None or url == "":
        return
    if not isinstance(url, str):
        # never its repr: a mapping may hold the password
        raise InvalidProxyURLError(
            f"a {type(url).__name__} is not a proxy URL (a string like http://proxy:3128)"
        )
    shown = repr(mask_proxy(url))
    odd = next((c for c in url if c.isspace() or not c.isprintable()), None)
    if odd is not None:
        raise InvalidProxyURLError(
            f"{shown} contains {_describe_character(odd)}: a proxy URL is http://host:port, "
            "without spaces, newlines or control characters"
        )
    scheme, separator, rest = url.partition("://")
    if "@" in (rest if separator else url):
        raise AuthenticatedProxyError(
            f"{shown} carries credentials (user:password@): {UNSUPPORTED}; allow anonymous "
            "access instead"
        )
    lowered = url.lower()
    location = lowered.split("#")[0].split("?")[0]
    if scheme.lower().startswith("pac+") or location.endswith(".pac") or "proxy.pac" in location:
        raise PacProxyError(
            f"{shown} is a proxy auto-config (PAC) script: {UNSUPPORTED}; configure a static "
            "proxy (http://host:port) or a transparent one"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        hostname = (parts.hostname or "") if separator else ""
    except ValueError as exc:
        raise InvalidProxyURLError(
            f"{shown} is not a URL ({exc}): write it as http://host:port"
        ) from None
    if location.endswith("wpad.dat") or hostname.split(".")[0] == "wpad":
        raise WpadProxyError(
            f"{shown} is web proxy auto-discovery (WPAD): {UNSUPPORTED}; configure a static "
            "proxy (http://host:port) or a transparent one"
        )
    forbidden = next((c for c in url if c in data.PROXY_FORBIDDEN_CHARACTERS), None)
    if forbidden is not None:
        raise InvalidProxyURLError(
            f"{shown} contains {forbidden!r}: a proxy URL is http://host:port, without shell "
            "metacharacters or quotes"
        )
    if not separator:
        raise InvalidProxyURLError(f"{shown} is not a URL: write the proxy as http://host:port")
    if scheme.lower() not in data.PROXY_SCHEMES:
        raise InvalidProxyURLError(
            f"{shown}: scheme {scheme}:// is not supported; mdatp takes a static proxy as "
            "http://host:port"
        )
    if "?" in url or "#" in url:
        raise InvalidProxyURLError(f"{shown} has a query or fragment: a proxy is http://host:port")
    if parts.path not in ("", "/"):
        raise InvalidProxyURLError(
            f"{shown} has a path ({parts.path}): a proxy is http://host:port, nothing after it"
        )
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(parts.hostname or "")
        except ValueError as exc:
            raise InvalidProxyURLError(
                f"{shown}: {parts.hostname!r} is not an IPv6 address"
            ) from exc
    elif not _valid_hostname(parts.hostname):
        raise InvalidProxyURLError(f"{shown} has no valid host name: write it as http://host:port")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidProxyURLError(
            f"{shown} has a bad port ({parts.netloc.rpartition(':')[2]!r}): the port is a number "
            "from 1 to 65535"
        ) from exc
    if port is None:
        raise InvalidProxyURLError(f"{shown} has no port: write it as http://host:port")
    if port == 0:
        raise InvalidProxyURLError(f"{shown} has port 0: the port is a number from 1 to 65535")


def proxy_address(url):
    """``(host, port)`` of a valid proxy URL (see :func:`validate_proxy_url`)."""
    validate_proxy_url(url)
    parts = urllib.parse.urlsplit(url)
    return parts.hostname, parts.port


def normalize_proxy_url(url):
    """``http://host:port`` of a valid proxy URL, for comparing two settings; None for none."""
    if not url:
        return None
    host, port = proxy_address(url)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _same_proxy(first, second):
    try:
        return normalize_proxy_url(first) == normalize_proxy_url(second)
    except ProxyURLError:
        return first == second


# -- where mdatp takes its proxy from --------------------------------------------------------------
def parse_environment_file(text):
    """``{name: value}`` from /etc/environment text (``NAME=value`` lines, optionally quoted)."""
    values = {}
    for raw_line in (text or "").splitlines():
        line = raw_line.strip()
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


@dataclasses.dataclass
class ProxySource:
    """One place a proxy is set: where, and the value exactly as found."""

    source: str
    value: object

    @property
    def problem(self):
        """The :class:`ProxyURLError` of this value, or None when mdatp can use it."""
        try:
            validate_proxy_url(self.value)
        except ProxyURLError as exc:
            return exc
        return None

    @property
    def shown(self):
        return mask_proxy(self.value) if isinstance(self.value, str) else repr(self.value)

    def as_fact(self):
        problem = self.problem
        return {
            "source": self.source,
            "proxy": self.shown,
            "valid": problem is None,
            "problem": str(problem) if problem else None,
        }


@dataclasses.dataclass
class ProxyDiscovery:
    """Every proxy setting mdatp could use, in precedence order, and what that makes of them."""

    install_sources: list  # ProxySource: mdeprereq:proxy, environment, /etc/environment
    product: ProxySource | None  # cloudService.proxy in the managed settings file
    managed_present: bool
    managed_problem: tuple | None  # (status, message)
    pac_settings: list  # ProxySource of auto_proxy-style settings
    mdatp_installed: bool
    from_settings: bool

    @property
    def install(self):
        """The install-time proxy (the first one set), or None."""
        return self.install_sources[0] if self.install_sources else None

    @property
    def effective(self):
        """The proxy mdatp will use: mdeprereq:proxy (what the states apply), else the managed
        cloudService.proxy, else the install-time one from the environment; None: direct."""
        if self.from_settings:
            return self.install
        return self.product or self.install

    def facts(self):
        effective = self.effective
        return {
            "proxy": effective.shown if effective else None,
            "source": effective.source if effective else None,
            "install_proxy": self.install.shown if self.install else None,
            "install_source": self.install.source if self.install else None,
            "product_proxy": self.product.shown if self.product else None,
            "mdatp_installed": self.mdatp_installed,
            "managed_json": self.managed_present,
            "sources": [item.as_fact() for item in [*self.install_sources, self.product] if item],
            "pac_settings": [item.as_fact()["source"] for item in self.pac_settings],
        }


def _read(host, path):
    """``(text, error)``: the text of ``path`` (None when missing) or why it can't be read."""
    try:
        return host.read_text(path), None
    except OSError as exc:
        return None, f"{path} can't be read: {exc.strerror or exc}"


def _environ(host):
    environ = getattr(host, "environ", None)
    if environ is None:
        environ = os.environ if getattr(host, "root", "/") in ("/", "") else {}
    return environ


def _managed_proxy(host):
    """``(present, value, problem)`` of cloudService.proxy in the managed settings file.

    ``problem`` is None, or ``(status, message)``: WARN when the file can't be read, FAIL when
    mdatp would ignore it.
    """
    from . import managed as managed_file  # noqa: PLC0415 - managed imports network lazily

    try:
        with open(host.path(data.MANAGED_JSON), "rb") as handle:
            raw = handle.read()
    except (FileNotFoundError, NotADirectoryError):
        return False, None, None
    except OSError as exc:
        error = f"{data.MANAGED_JSON} can't be read: {exc.strerror or exc}"
        return True, None, (WARN, f"{error}; run the check as root")
    try:
        managed = managed_file.parse(raw)  # strict: UTF-8, no duplicates, NaN, deep nesting
    except managed_file.ManagedJsonError as exc:
        return True, None, (FAIL, f"{exc}: mdatp ignores it")
    if not managed and not raw.strip():
        return True, None, None
    if not isinstance(managed, dict):
        return True, None, (FAIL, f"{data.MANAGED_JSON} holds no JSON object: mdatp ignores it")
    node = managed
    for part in data.MANAGED_PROXY_KEY.split("."):
        if not isinstance(node, dict) or part not in node:
            return True, None, None
        node = node[part]
    if node in (None, ""):
        return True, None, None
    if not isinstance(node, str):
        return (
            True,
            None,
            (
                FAIL,
                f"{data.MANAGED_PROXY_KEY} in {data.MANAGED_JSON} is a {type(node).__name__}, not "
                "a string: a value of the wrong type makes mdatp ignore the whole file",
            ),
        )
    return True, node, None


def discover_proxy(host, settings, environ=None):
    """Find the proxy settings mdatp would use on ``host`` (see :class:`ProxyDiscovery`).

    Install-time, in precedence order: ``mdeprereq:proxy``; ``HTTPS_PROXY`` / ``https_proxy`` in
    the environment (``environ``, default ``host.environ``); the same in /etc/environment. After
    install: ``cloudService.proxy`` in the managed settings file. Also notes auto_proxy-style
    (PAC) settings in the environment and /etc/environment.
    """
    environ = _environ(host) if environ is None else environ
    file_text, _error = _read(host, data.ENVIRONMENT_FILE)
    environment_file = parse_environment_file(file_text)
    sources = []
    if settings.proxy not in (None, ""):
        sources.append(ProxySource(SETTING_SOURCE, settings.proxy))
    for origin, values in (("the environment", environ), (data.ENVIRONMENT_FILE, environment_file)):
        for name in data.PROXY_ENV_NAMES:
            value = values.get(name)
            if value not in (None, ""):
                sources.append(ProxySource(f"{name} in {origin}", value))
    pac = [
        ProxySource(f"{name} in {origin}", values[name])
        for origin, values in (
            ("the environment", environ),
            (data.ENVIRONMENT_FILE, environment_file),
        )
        for name in data.PAC_ENV_NAMES
        if values.get(name) not in (None, "")
    ]
    present, value, problem = _managed_proxy(host)
    return ProxyDiscovery(
        install_sources=sources,
        product=ProxySource(MANAGED_SOURCE, value) if value is not None else None,
        managed_present=present,
        managed_problem=problem,
        pac_settings=pac,
        mdatp_installed=host.mdatp_installed(settings.install_path),
        from_settings=settings.proxy not in (None, ""),
    )


# -- the proxy check -------------------------------------------------------------------------------
STATIC_PROXY_HOWTO = (
    "set mdeprereq:proxy to http://host:port (or HTTPS_PROXY at install time and "
    f"{data.MANAGED_PROXY_KEY} after)"
)
PROXY_REMEDIATIONS = {
    "pac": f"Replace the proxy auto-config with a static proxy: {STATIC_PROXY_HOWTO}; or let the "
    "Defender URLs through a transparent proxy.",
    "wpad": f"Replace proxy auto-discovery with a static proxy: {STATIC_PROXY_HOWTO}; or let the "
    "Defender URLs through a transparent proxy.",
    "authenticated": "Let the proxy allow anonymous CONNECT to the Defender URLs (the page: "
    "'permit anonymous traffic'), then configure it without credentials, as http://host:port.",
    "invalid": "Write the proxy as http://host:port (a host name or IP address and a port "
    "number, nothing else).",
}


def check_proxy(host, settings, environ=None):
    """Find the proxy mdatp would use and judge it; see :func:`discover_proxy`."""
    found = discover_proxy(host, settings, environ)
    facts = found.facts()
    failures = []  # (message, remediation)
    for item in found.pac_settings:
        failures.append(
            (
                f"{item.source} is set ({item.shown}): proxy auto-config is not supported; "
                f"{UNSUPPORTED}",
                PROXY_REMEDIATIONS["pac"] + f" Unset {item.source}.",
            )
        )
    used = [item for item in (found.install, found.product) if item is not None]
    for item in used:
        problem = item.problem
        if problem is not None:
            failures.append((f"{item.source}: {problem}", PROXY_REMEDIATIONS[problem.kind]))
    if found.managed_problem and found.managed_problem[0] == FAIL:
        failures.append(
            (
                found.managed_problem[1],
                f"Fix {data.MANAGED_JSON} (valid JSON; {data.MANAGED_PROXY_KEY} a string like "
                '"http://host:port"), or apply state mdeprereq.proxy_configured.',
            )
        )
    if failures:
        return verdict(
            FAIL,
            "; ".join(message for message, _ in failures),
            remediation=" ".join(dict.fromkeys(remedy for _, remedy in failures)),
            facts=facts,
        )
    if found.managed_problem:
        return verdict(
            WARN,
            found.managed_problem[1],
            remediation=f"Run the check as root, so that it can read {data.MANAGED_JSON}.",
            facts=facts,
        )
    install, product = found.install, found.product
    if found.from_settings and not _same_proxy(install.value, product.value if product else None):
        if product:
            seen = f"{product.source} is {product.shown}"
        elif found.managed_present:
            seen = f"{data.MANAGED_JSON} sets no {data.MANAGED_PROXY_KEY}"
        else:
            seen = f"there is no {data.MANAGED_JSON} yet"
        return verdict(
            WARN,
            f"mdeprereq:proxy {install.shown} is not applied: {seen}",
            remediation=(
                "Apply state mdeprereq.proxy_configured: it sets the install-time proxy and "
                f"{data.MANAGED_PROXY_KEY} to mdeprereq:proxy."
            ),
            fixable=True,
            facts=facts,
        )
    # mdatp's own proxy is known once it is installed or its managed settings exist
    product_known = found.mdatp_installed or found.managed_present
    if product_known and not _same_proxy(
        install.value if install else None, product.value if product else None
    ):
        product_text = (
            f"mdatp's proxy is {product.shown} ({product.source})"
            if product
            else f"mdatp's managed settings set no {data.MANAGED_PROXY_KEY}, so mdatp connects "
            "directly (unless it was set with 'mdatp config proxy set')"
        )
        if install:
            install_text = f"the install-time proxy is {install.shown} ({install.source})"
            remediation = (
                f"Use one proxy: set {data.MANAGED_PROXY_KEY} to {install.shown} (or mdatp "
                "config proxy set --value ...), or set mdeprereq:proxy and apply state "
                "mdeprereq.proxy_configured."
            )
        else:
            install_text = "no install-time proxy is set"
            remediation = (
                "Use one proxy: set HTTPS_PROXY for the package manager to the same proxy, or "
                f"set mdeprereq:proxy to {product.shown} and apply state "
                "mdeprereq.proxy_configured."
            )
        return verdict(
            WARN,
            f"{install_text}, but {product_text}: they differ",
            remediation=remediation,
            facts=facts,
        )
    effective = found.effective
    if effective is None:
        return verdict(
            PASS,
            "no proxy is configured: mdatp connects directly (or through a transparent proxy)",
            facts=facts,
        )
    where = f"{effective.source}" + (
        f", also {product.source}" if product and product is not effective else ""
    )
    return verdict(
        PASS, f"static proxy {effective.shown} ({where}) is a supported kind of proxy", facts=facts
    )


# -- geo, onboarding kind and the URLs to probe ----------------------------------------------------
STREAMLINED, LEGACY = "streamlined", "legacy"
# How Microsoft's XMDE Client Analyzer tells the kind of onboarding package (its mde_tools
# connectivity module, get_geo_from_onboarding): a "GW_<geo>" token anywhere in the onboarding
# file means the streamlined package (partnerGeoLocation "GW_EU"); otherwise the bare
# vortexGeoLocation ("EU") of the standard (legacy) package decides, with the legacy URL set.
_STREAMLINED_TOKEN = re.compile(r"GW_([A-Za-z]+)")


def _loads_maybe(value):
    """``value`` itself, or the JSON it holds when it is a string (the blob nests JSON in JSON)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def _geo_alias(candidate):
    if not isinstance(candidate, str):
        return None
    return data.ONBOARDING_GEO_ALIASES.get(candidate.strip().lower().removeprefix("gw_"))


def read_onboarding(host):
    """What the onboarding JSON tells about the tenant's geo, onboarding kind and service URLs.

    :returns: None when there is no onboarding JSON, else ``{"geo", "kind", "us_government",
        "datacenter", "geo_location_url", "vortex_server_url", "error", "unreadable"}``; ``kind``
        is :data:`STREAMLINED` or :data:`LEGACY` (decided as Microsoft's analyzer decides it) or
        None. Nothing secret: no org ID, no blob.
    """
    text, error = _read(host, data.ONBOARD_JSON)
    if text is None and error is None:
        return None
    info = {
        "geo": None,
        "kind": None,
        "us_government": False,
        "datacenter": None,
        "geo_location_url": None,
        "vortex_server_url": None,
        "error": error,
        "unreadable": error is not None,
    }
    if error:
        return info
    try:
        outer = json.loads(text)
        onboarding = _loads_maybe(outer.get("onboardingInfo") if isinstance(outer, dict) else None)
        body = _loads_maybe(onboarding.get("body") if isinstance(onboarding, dict) else None)
    except ValueError as exc:
        info["error"] = f"{data.ONBOARD_JSON} is not the JSON Microsoft's portal makes ({exc})"
        return info
    if not isinstance(body, dict):
        info["error"] = f"{data.ONBOARD_JSON} has no onboardingInfo body"
        return info
    for key, field in (
        ("datacenter", "datacenter"),
        ("geo_location_url", "geoLocationUrl"),
        ("vortex_server_url", "vortexServerUrl"),
    ):
        if isinstance(body.get(field), str):
            info[key] = body[field]
    token = _STREAMLINED_TOKEN.search(text)
    host_name = urllib.parse.urlsplit(info["geo_location_url"] or "").hostname or ""
    service_hosts = [
        urllib.parse.urlsplit(url or "").hostname or ""
        for url in (info["geo_location_url"], info["vortex_server_url"])
    ]
    # A US government tenant's service hosts are under microsoft.us (Microsoft's US government
    # URL page: *.endpoint.security.microsoft.us); the blob doesn't say which of GCC, GCC High, DoD
    info["us_government"] = any(name.endswith(".microsoft.us") for name in service_hosts)
    if token:
        info["kind"] = STREAMLINED
    elif isinstance(body.get("vortexGeoLocation"), str):
        info["kind"] = LEGACY
    candidates = [token.group(1) if token else None, body.get("vortexGeoLocation")]
    if host_name.endswith(".endpoint.security.microsoft.com"):
        candidates.append(host_name.split(".")[1])
    info["geo"] = next((geo for geo in map(_geo_alias, candidates) if geo), None)
    if info["us_government"]:
        info["geo"] = None  # not a commercial geo; mdeprereq:geo names the cloud
    return info


def resolve_geo(host, settings):
    """``(geo, source, onboarding)``: ``mdeprereq:geo``, else the onboarding JSON's geo."""
    onboarding = read_onboarding(host)
    if settings.geo:
        return settings.geo, "mdeprereq:geo", onboarding
    if onboarding and onboarding["geo"]:
        return onboarding["geo"], data.ONBOARD_JSON, onboarding
    return None, None, onboarding


def url_address(url):
    """``(host, port)`` of an https URL (port 443 unless given)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port  # ValueError on a bad port
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host name")
    return parts.hostname, port or 443


def geo_urls(geo, kind=STREAMLINED):
    """The URLs of ``geo`` for an onboarding of ``kind`` (see ``data``), without the common ones."""
    if geo in data.US_GOVERNMENT_URLS:
        return list(data.US_GOVERNMENT_URLS[geo])
    if kind == LEGACY:
        return list(data.LEGACY_GEO_URLS.get(geo, ()))
    label = data.STREAMLINED_HOST_LABELS[geo]
    urls = [template.format(label=label) for template in data.STREAMLINED_GEO_URLS]
    urls.extend(
        data.STREAMLINED_EDR_URL.format(host=edr, label=label)
        for edr in data.STREAMLINED_EDR_HOSTS.get(geo, ())
    )
    return urls


def default_urls(geo, onboarding=None):
    """The URLs the connectivity check probes when ``mdeprereq:connectivity:urls`` is unset.

    The geo's set for the onboarding's kind (streamlined unless the onboarding JSON is a standard
    one), the onboarding JSON's own EDR and cyber-data URLs, the ECS configuration URL (the
    commercial one; a US government geo's set has its own) and the URLs every device needs. One
    URL per host and port: the probe is a TLS handshake, the path does not matter to it.
    """
    kind = (onboarding or {}).get("kind") or STREAMLINED
    urls = geo_urls(geo, kind) if geo else []
    if onboarding:
        for key in ("geo_location_url", "vortex_server_url"):
            url = onboarding.get(key)
            if isinstance(url, str) and url.startswith("https://"):
                urls.append(url)
    if geo not in data.US_GOVERNMENT_GEOS and not (onboarding or {}).get("us_government"):
        urls.append(data.ECS_URL)
    urls.extend(data.CONNECTIVITY_COMMON_URLS)
    unique, seen = [], set()
    for url in urls:
        try:
            address = url_address(url)
        except ValueError:
            continue
        if address not in seen:
            seen.add(address)
            unique.append(url)
    return unique


# -- probing one URL -------------------------------------------------------------------------------
class _ProbeFailure(Exception):
    def __init__(self, result, detail, verify_code=None):
        super().__init__(detail)
        self.result = result
        self.detail = detail
        self.verify_code = verify_code  # OpenSSL's X509_V_ERR_* when verification failed


def _endpoint(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _resolve(host, port):
    """``socket.getaddrinfo`` for TCP (its own function so tests can stand in for DNS)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _printable(raw, limit=200):
    text = raw.decode("latin-1").strip()
    return "".join(c if c.isprintable() else "?" for c in text)[:limit]


@dataclasses.dataclass
class _Attempt:
    """One way through to ``host:port``: directly or through ``proxy``, by ``deadline``."""

    host: str
    port: int
    proxy: str | None
    timeout: float
    deadline: float
    progress: dict

    def remaining(self):
        return self.deadline - time.monotonic()

    def timed_out(self, stage, what=None):
        doing = _STAGES_NAMED[stage].format(what) if what else _STAGES[stage]
        return _ProbeFailure(TIMEOUT, f"no answer within {self.timeout:g}s {doing}")

    def open(self):
        """A TCP connection to the host, or through the proxy's tunnel to it."""
        if not self.proxy:
            return self.connect(self.host, self.port, None)
        proxy_host, proxy_port = proxy_address(self.proxy)
        sock = self.connect(proxy_host, proxy_port, "the proxy")
        try:
            self.tunnel(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self, host, port, label):
        """A TCP connection to ``host:port``; ``label`` names it in messages ("the proxy")."""
        where = f"{label} {_endpoint(host, port)}" if label else _endpoint(host, port)
        self.progress["stage"] = "dns"
        try:
            addresses = _resolve(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            named = f"{label} {host}" if label else host
            raise _ProbeFailure(DNS, f"{named} does not resolve: {reason}") from None
        self.progress["stage"] = "connect"
        last_error = None
        for family, kind, protocol, _name, address in addresses:
            remaining = self.remaining()
            if remaining <= 0:
                raise self.timed_out("connect", where)
            sock = socket.socket(family, kind, protocol)
            sock.settimeout(remaining)
            try:
                sock.connect(address)
            except TimeoutError:
                sock.close()
                raise self.timed_out("connect", where) from None
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            return sock
        if last_error is None or isinstance(last_error, ConnectionRefusedError):
            raise _ProbeFailure(REFUSED, f"{where} refused the connection")
        reason = last_error.strerror or last_error
        raise _ProbeFailure(REFUSED, f"could not connect to {where}: {reason}")

    def tunnel(self, sock):
        """Ask the proxy on ``sock`` for a tunnel to the host (HTTP CONNECT)."""
        self.progress["stage"] = "proxy"
        try:
            target = _endpoint(self.host.encode("idna").decode("ascii"), self.port)
        except UnicodeError as exc:
            raise _ProbeFailure(DNS, f"{self.host} is not a valid host name: {exc}") from None
        request = (
            f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: mdeprereq\r\n"
            "Proxy-Connection: Keep-Alive\r\n\r\n"
        )
        answer = b""
        try:
            sock.settimeout(max(self.remaining(), 0.001))
            sock.sendall(request.encode("ascii"))
            # Read the head of the answer and not one byte more: TLS follows on this socket
            while b"\r\n\r\n" not in answer and len(answer) <= MAX_PROXY_ANSWER:
                remaining = self.remaining()
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
                peeked = sock.recv(4096, socket.MSG_PEEK)
                if not peeked:
                    break
                end = (answer + peeked).find(b"\r\n\r\n")
                answer += sock.recv(len(peeked) if end < 0 else end + 4 - len(answer))
                if not b"HTTP/".startswith(answer[:5]):
                    break  # not an HTTP proxy: no use waiting for the rest
        except TimeoutError:
            raise self.timed_out("proxy", f"CONNECT {target}") from None
        except OSError as exc:
            raise _ProbeFailure(
                PROXY, f"the proxy dropped the connection after CONNECT {target}: {exc}"
            ) from None
        if not answer:
            raise _ProbeFailure(
                PROXY, f"the proxy closed the connection without answering CONNECT {target}"
            )
        status_line = _printable(answer.split(b"\r\n", 1)[0])
        fields = status_line.split(None, 2)
        if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
            raise _ProbeFailure(
                PROXY,
                f"the proxy answered CONNECT {target} with something not HTTP: '{status_line}'",
            )
        code = int(fields[1])
        if 200 <= code < 300 and b"\r\n\r\n" in answer:
            return
        hint = (
            ": the proxy wants credentials, and authenticated proxies aren't supported"
            if code == 407
            else ""
        )
        raise _ProbeFailure(
            PROXY, f"the proxy answered CONNECT {target} with '{status_line}'{hint}"
        )

    def _wrap(self, context):
        """A TLS socket over a new connection (directly or through the proxy), not handshaken."""
        sock = self.open()
        self.progress["stage"] = "tls"
        try:
            remaining = self.remaining()
            if remaining <= 0:
                raise self.timed_out("tls")
            sock.settimeout(remaining)
            return context.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
        except BaseException:
            sock.close()
            raise

    def handshake(self, context):
        """Complete a TLS handshake verified by ``context``: ``(leaf DER, chain DERs)``.

        The chain is the verified one (leaf first, root last) when ``context`` verifies, else the
        one the server presented.
        """
        tls = self._wrap(context)
        try:
            tls.do_handshake()
            verified = context.verify_mode != ssl.CERT_NONE
            return tls.getpeercert(binary_form=True) or b"", _chain(tls, verified)
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or str(exc)
            raise _ProbeFailure(
                TLS, f"certificate verification failed: {reason}", exc.verify_code
            ) from None
        except TimeoutError:
            raise self.timed_out("tls") from None
        except ssl.SSLError as exc:
            raise _ProbeFailure(TLS, f"TLS handshake failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise _ProbeFailure(
                TLS, f"the connection was closed in the TLS handshake: {exc.strerror or exc}"
            ) from None
        finally:
            tls.close()


def _chain(tls, verified):
    """The certificate chain of a handshaken socket as DER, leaf first ([] when unknown).

    Python 3.13 has ``get_verified_chain``/``get_unverified_chain`` on the socket (DER bytes);
    3.10-3.12 have them on the private ``_sslobj`` (``_ssl.Certificate`` objects).
    """
    name = "get_verified_chain" if verified else "get_unverified_chain"
    for owner in (tls, getattr(tls, "_sslobj", None)):
        getter = getattr(owner, name, None)
        if getter is None:
            continue
        try:
            chain = getter() or []
        except (ssl.SSLError, ValueError):
            return []
        return [
            item if isinstance(item, bytes) else item.public_bytes(_ssl.ENCODING_DER)
            for item in chain
        ]
    return []


# -- certificates: names and fingerprints, from DER (standard library only) -----------------------
def _der_item(der, position):
    """``(tag, content start, content end)`` of the DER item at ``position``."""
    tag = der[position]
    length = der[position + 1]
    position += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[position : position + count], "big")
        position += count
    if position + length > len(der):
        raise ValueError("truncated DER")
    return tag, position, position + length


_NAME_OIDS = {
    bytes([0x55, 0x04, 0x03]): "CN",
    bytes([0x55, 0x04, 0x06]): "C",
    bytes([0x55, 0x04, 0x07]): "L",
    bytes([0x55, 0x04, 0x08]): "ST",
    bytes([0x55, 0x04, 0x0A]): "O",
    bytes([0x55, 0x04, 0x0B]): "OU",
}
_DER_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1E: "utf-16-be"}


def _der_name(der, start, end):
    """The attributes of the X.501 Name between ``start`` and ``end``: ``[(short name, value)]``."""
    attributes = []
    position = start
    while position < end:
        _tag, inner, rdn_end = _der_item(der, position)  # RelativeDistinguishedName (SET)
        while inner < rdn_end:
            _tag, pair, pair_end = _der_item(der, inner)  # AttributeTypeAndValue
            _tag, oid_start, oid_end = _der_item(der, pair)
            value_tag, value_start, value_end = _der_item(der, oid_end)
            oid = der[oid_start:oid_end]
            codec = _DER_STRINGS.get(value_tag, "latin-1")
            value = der[value_start:value_end].decode(codec, "replace")
            attributes.append((_NAME_OIDS.get(oid, f"OID.{oid.hex()}"), value))
            inner = pair_end
        position = rdn_end
    return attributes


def certificate_names(der):
    """``{"issuer": [(name, value)], "subject": [...]}`` of a DER certificate, or None."""
    try:
        _tag, start, _end = _der_item(der, 0)  # Certificate
        _tag, position, _end = _der_item(der, start)  # tbsCertificate
        tag, _start, end = _der_item(der, position)
        if tag == 0xA0:  # [0] version
            position = end
        for _skipped in ("serialNumber", "signature"):
            _tag, _start, position = _der_item(der, position)
        _tag, issuer_start, issuer_end = _der_item(der, position)
        _tag, _start, position = _der_item(der, issuer_end)  # validity
        _tag, subject_start, subject_end = _der_item(der, position)
        return {
            "issuer": _der_name(der, issuer_start, issuer_end),
            "subject": _der_name(der, subject_start, subject_end),
        }
    except (IndexError, ValueError):
        return None


def format_name(attributes):
    """``C=US, O=Microsoft Corporation, CN=...`` (in the certificate's order)."""
    return ", ".join(f"{name}={value}" for name, value in attributes) or "(an empty name)"


def _attribute(attributes, wanted):
    return ", ".join(value for name, value in attributes if name == wanted) or None


def issuer_organization_from_der(der):
    """The issuer's organization (O=) of a DER certificate, or None; never raises."""
    names = certificate_names(der)
    return _attribute(names["issuer"], "O") if names else None


def _sha256(der):
    return hashlib.sha256(der).hexdigest().upper()


# -- what the connectivity check trusts ------------------------------------------------------------
class RootsError(MdeprereqError):
    """``mdeprereq:connectivity:roots`` can't be used; the message names the key."""


@dataclasses.dataclass
class Trust:
    """The roots a Defender host's chain must verify to, and a context that verifies with them."""

    source: str  # "the shipped roots" or the mdeprereq:connectivity:roots path
    pem: str

    def __post_init__(self):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # hostname checked, cert required
        self.context.load_verify_locations(cadata=self.pem)
        self.roots = []  # [(subject attributes, SHA-256)]
        for der in self.context.get_ca_certs(binary_form=True):
            names = certificate_names(der)
            self.roots.append((names["subject"] if names else [], _sha256(der)))

    @property
    def names(self):
        return [_attribute(subject, "CN") or format_name(subject) for subject, _ in self.roots]

    def impostor_of(self, chain):
        """The name of a trusted root that ``chain`` copies without its key, or None.

        A certificate in the chain named exactly like a trusted root but with another
        fingerprint, or a top certificate issued in a trusted root's name (its issuer is a root's
        subject) that still did not verify: somebody copied the name, not the key.
        """
        by_subject = {tuple(subject): sha for subject, sha in self.roots}
        for der in chain:
            names = certificate_names(der)
            if not names:
                continue
            for field in ("subject", "issuer"):
                sha = by_subject.get(tuple(names[field]))
                if sha is not None and (field == "issuer" or _sha256(der) != sha):
                    return _attribute(names[field], "CN") or format_name(names[field])
        return None


def load_trust(settings):
    """The :class:`Trust` of ``mdeprereq:connectivity:roots``, else of the shipped roots.

    :raises RootsError: the file can't be read or holds no certificate
    """
    path = settings.connectivity_roots
    if path is None:
        return Trust("the shipped roots", roots.shipped_bundle())
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            text = handle.read(MAX_ROOTS_FILE + 1)
    except OSError as exc:
        raise RootsError(
            f"mdeprereq:connectivity:roots: {path} can't be read ({exc.strerror or exc})"
        ) from None
    if len(text) > MAX_ROOTS_FILE:
        raise RootsError(f"mdeprereq:connectivity:roots: {path} is over {MAX_ROOTS_FILE} bytes")
    try:
        return Trust(path, text)
    except (ssl.SSLError, ValueError) as exc:
        raise RootsError(
            f"mdeprereq:connectivity:roots: {path} holds no PEM certificates ({exc})"
        ) from None


def system_context():
    """What the operating system's store trusts (OpenSSL's defaults, so SSL_CERT_FILE counts)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    return context


# -- probing one URL -------------------------------------------------------------------------------
def _unverified_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _inspection(attempt, trust, failure, system):
    """The entry fields of a chain that does not verify to ``trust``: whose chain is it?

    Two more handshakes (bounded by the same deadline): one verified by the system store (if it
    trusts the chain, the verified chain names the CA it trusts), else an unverified one for the
    chain the server presented.
    """
    trusted_by_system, chain, why = False, [], ""
    try:
        _leaf, chain = attempt.handshake(system)
        trusted_by_system = True
    except ProxyURLError as second:
        why = f"; the chain could not be read: {second}"
    except _ProbeFailure as second:
        if second.verify_code is not None:
            try:
                _leaf, chain = attempt.handshake(_unverified_context())
            except (_ProbeFailure, ProxyURLError) as third:
                why = f"; the chain could not be read: {third}"
        else:
            why = f"; the chain could not be read: {second.detail}"
    names = [certificate_names(der) for der in chain]
    names = [name for name in names if name]
    if trusted_by_system and names:
        ca = format_name(names[-1]["subject"])
        trusted = f"; the system CA store trusts it through {ca!r}"
    elif names:
        ca = format_name(names[-1]["issuer"])
        trusted = "; the system CA store does not trust it either"
    else:
        ca = None
        trusted = ""
    impostor = trust.impostor_of(chain)
    copied = f" ({ca!r} copies the name of {impostor!r} but not its key)" if impostor else ""
    issued = f"it was issued by {ca!r}{copied}" if ca else "its issuer is unknown"
    detail = (
        f"{INSPECTION_MESSAGE} (the chain of {attempt.host} does not verify to the trusted roots: "
        f"{failure.detail}; {issued}{trusted}{why})"
    )
    return {
        "result": INSPECTION,
        "detail": detail,
        "inspected_by": ca,
        "trusted_by_system": trusted_by_system,
        "impostor_of": impostor,
    }


def _new_entry(url):
    return {
        "url": url,
        "host": None,
        "port": None,
        "result": None,
        "detail": "",
        "issuer": None,
        "root": None,
        "inspected_by": None,
        "elapsed": None,
    }


def probe_url(
    url,
    proxy=None,
    timeout=data.CONNECTIVITY_TIMEOUT,
    trust=None,
    *,
    system=None,
    deadline=None,
    progress=None,
):
    """Resolve, connect (CONNECT through ``proxy``) and complete a TLS handshake verified by key.

    :param trust: the :class:`Trust` (default: the shipped roots); the chain must verify to one of
        its roots. A chain that doesn't (it ends in another CA, or in one copying a root's name)
        is :data:`INSPECTION`; an expired, not yet valid or wrong-host certificate is :data:`TLS`.
    :param system: the context of the operating system's store (default :func:`system_context`),
        asked only to name the CA of an inspected chain; it never makes a chain genuine
    :param deadline: a :func:`time.monotonic` time by which to give up (default: now + timeout)
    :param progress: a dict in which the current stage is kept, for a caller that stops waiting
    :returns: ``{"url", "host", "port", "result", "detail", "issuer", "root", "inspected_by",
        "elapsed"}`` (plus ``trusted_by_system`` and ``impostor_of`` for inspection); ``result``
        is one of :data:`RESULTS`
    """
    start = time.monotonic()
    entry = _new_entry(url)
    try:
        host, port = url_address(url)
    except ValueError as exc:  # not a usable URL
        entry.update(result=DNS, detail=f"not a URL with a host name: {exc}", elapsed=0.0)
        return entry
    entry.update(host=host, port=port)
    trust = trust or Trust("the shipped roots", roots.shipped_bundle())
    attempt = _Attempt(
        host=host,
        port=port,
        proxy=proxy,
        timeout=timeout,
        deadline=start + timeout if deadline is None else deadline,
        progress={} if progress is None else progress,
    )
    try:
        leaf, chain = attempt.handshake(trust.context)
        top = certificate_names(chain[-1]) if chain else None
        root = (_attribute(top["subject"], "CN") or format_name(top["subject"])) if top else None
        entry.update(
            result=OK,
            detail=f"verified TLS handshake, chain ends in {root or 'a trusted root'}",
            issuer=issuer_organization_from_der(leaf),
            root=root,
        )
    except ProxyURLError as exc:
        entry.update(result=PROXY, detail=f"the proxy is unusable: {exc}")
    except _ProbeFailure as failure:
        entry.update(result=failure.result, detail=failure.detail)
        if failure.verify_code in NOT_TRUSTED_CHAIN_CODES:
            entry.update(_inspection(attempt, trust, failure, system or system_context()))
    entry["elapsed"] = round(time.monotonic() - start, 3)
    return entry


def probe_all(urls, proxy, timeout, trust=None, system=None):
    """Probe every URL at once, each in its own thread, all bounded by one ``timeout``.

    A probe still blocked past the deadline (plus :data:`JOIN_GRACE`) is reported as a timeout at
    the stage it had reached and left behind (a daemon thread).
    """
    start = time.monotonic()
    deadline = start + timeout
    trust = trust or Trust("the shipped roots", roots.shipped_bundle())
    system = system or system_context()
    slots = []
    for url in urls:
        progress, box = {"stage": "dns"}, {}

        def run(url=url, progress=progress, box=box):
            try:
                box["entry"] = probe_url(
                    url,
                    proxy,
                    timeout,
                    trust,
                    system=system,
                    deadline=deadline,
                    progress=progress,
                )
            except Exception as exc:  # noqa: BLE001 - a check never raises; report it per URL
                box["entry"] = _failed_entry(
                    url, TLS, f"the probe failed: {type(exc).__name__}: {exc}"
                )

        thread = threading.Thread(target=run, name="mdeprereq-probe", daemon=True)
        try:
            thread.start()
        except RuntimeError as exc:
            box["entry"] = _failed_entry(url, TIMEOUT, f"could not start a probe thread: {exc}")
            thread = None
        slots.append((url, thread, progress, box))
    entries = []
    for url, thread, progress, box in slots:
        if thread is not None:
            thread.join(max(0.0, deadline + JOIN_GRACE - time.monotonic()))
        entry = box.get("entry")
        if entry is None:
            stage = progress.get("stage", "dns")
            entry = _failed_entry(
                url, TIMEOUT, f"no answer within {timeout:g}s {_STAGES.get(stage, stage)}"
            )
            entry["elapsed"] = round(time.monotonic() - start, 3)
        entries.append(entry)
    return entries


def _failed_entry(url, result, detail):
    entry = _new_entry(url)
    try:
        entry["host"], entry["port"] = url_address(url)
    except ValueError:
        pass
    entry.update(result=result, detail=detail)
    return entry


# -- mdatp's own view: `mdatp connectivity test` ---------------------------------------------------
# One line per URL, "Testing connection with <url> ... [OK]" (Microsoft's sample output in
# MicrosoftDocs/defender-docs defender-endpoint/linux-support-connectivity.md); a failure is
# "[ERROR]" followed by indented detail lines, as Microsoft's XMDE analyzer prints the same test
# (mde_tools connectivity perform_test: "... [ERROR]" then "\t <error>").
_MDATP_TEST_LINE = re.compile(
    r"^Testing connection with (?P<url>\S+) \.\.\. \[(?P<outcome>[^\]]*)\]"
)
MAX_MDATP_OUTPUT = 65536


def parse_mdatp_connectivity_test(text):
    """``[{"url", "outcome", "ok", "detail"}]`` of `mdatp connectivity test` output."""
    results = []
    for raw_line in (text or "")[:MAX_MDATP_OUTPUT].splitlines():
        line = raw_line.rstrip()
        match = _MDATP_TEST_LINE.match(line.strip())
        if match:
            outcome = match.group("outcome").strip()
            results.append(
                {
                    "url": mask_url(match.group("url")),
                    "outcome": outcome,
                    "ok": outcome.upper() == "OK",
                    "detail": "",
                }
            )
        elif results and line.strip():
            detail = results[-1]["detail"]
            results[-1]["detail"] = mask_url(f"{detail} {line.strip()}".strip())[:500]
    return results


def start_mdatp_connectivity_test(command):
    """Start `<command> connectivity test` (a :class:`subprocess.Popen`), or the reason it can't."""
    try:
        return subprocess.Popen(
            [*command, "connectivity", "test"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ), None
    except OSError as exc:
        return None, f"{command[0]} could not be run: {exc.strerror or exc}"


def finish_mdatp_connectivity_test(process, timeout):
    """``{"ran", "returncode", "urls", "error"}`` of a started `mdatp connectivity test`."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {
            "ran": False,
            "returncode": None,
            "urls": [],
            "error": f"mdatp connectivity test did not finish within {timeout:g}s",
        }
    text = output[:MAX_MDATP_OUTPUT].decode("utf-8", "replace")
    urls = parse_mdatp_connectivity_test(text)
    error = None
    if not urls:
        last = mask_url(_printable(text.strip().splitlines()[-1].encode())) if text.strip() else ""
        error = f"mdatp connectivity test exited with {process.returncode} and tested no URL" + (
            f": {last}" if last else ""
        )
    return {"ran": True, "returncode": process.returncode, "urls": urls, "error": error}


def compare_with_mdatp(entries, mdatp_result):
    """Notes where mdatp's own test and our probes disagree, or mdatp reports a failure."""
    ours = {entry["host"]: entry for entry in entries if entry["host"]}
    notes = []
    for item in mdatp_result["urls"]:
        try:
            host, _port = url_address(item["url"])
        except ValueError:
            host = None
        entry = ours.get(host)
        item["ours"] = entry["result"] if entry else None
        if entry is not None and (entry["result"] == OK) != item["ok"]:
            notes.append(
                f"{host}: this check says {entry['result']} but mdatp connectivity test says "
                f"[{item['outcome']}] for {item['url']}"
            )
        elif entry is None and not item["ok"]:
            notes.append(
                f"mdatp connectivity test says [{item['outcome']}] for {item['url']}"
                + (f" ({item['detail']})" if item["detail"] else "")
            )
    return notes


# -- the connectivity check ------------------------------------------------------------------------
CONNECTIVITY_REMEDIATIONS = {
    DNS: "Make the names resolve on this server (check /etc/resolv.conf and its DNS servers), or "
    "go through a static proxy that resolves them.",
    REFUSED: "Allow outbound TCP 443 to *.endpoint.security.microsoft.com and the other Defender "
    "URLs in the firewall; through a proxy, check that it runs at the configured host and port.",
    TIMEOUT: "Something drops the traffic: allow outbound TCP 443 to the Defender URLs in the "
    "firewall, or configure the static proxy this network needs (mdeprereq:proxy).",
    PROXY: "Let the proxy allow anonymous CONNECT to these hosts on port 443 (the page: 'permit "
    "anonymous traffic' to the Defender URLs).",
    TLS: "Check the clock (an expired or not yet valid certificate) and that nothing on the way "
    "answers in Microsoft's place (a certificate for another host name).",
    INSPECTION: "Exempt *.endpoint.security.microsoft.com and the other Defender URLs from SSL "
    "inspection on the proxy or firewall: Defender pins its connections to Microsoft's roots, so "
    "adding the interception certificate to the system store does not make it work. (Should the "
    "CA named be Microsoft's own, a root newer than the shipped ones, add it to a PEM bundle set "
    "as mdeprereq:connectivity:roots.)",
}
MDATP_REMEDIATION = (
    "Compare with 'mdatp connectivity test' on this host: mdatp uses its own proxy setting "
    "(mdatp config proxy set, or cloudService.proxy) and its own pinned connections."
)


def _mdatp_command(host, mdatp_command):
    if mdatp_command is not None:
        return list(mdatp_command)
    if host.root in ("/", "") and getattr(host, "allow_subprocess", True):
        return [data.MDATP_CLI]
    return None


def check_connectivity(host, settings, environ=None, system=None, mdatp_command=None):
    """Probe each Defender URL the way mdatp will (see :func:`probe_all`).

    Trust is by key: a chain is genuine when it verifies to the shipped roots (or to
    ``mdeprereq:connectivity:roots``). When mdatp is installed and its daemon runs,
    `mdatp connectivity test` runs once beside the probes and its outcome per URL is reported;
    where it and the probes disagree, the check warns naming both.

    :param system: the context of the operating system's store, used only to name an inspecting
        CA (default :func:`system_context`, so ``SSL_CERT_FILE`` works)
    :param mdatp_command: the mdatp CLI as an argv prefix (default ``/usr/bin/mdatp`` on the
        running machine; none for another root)
    """
    found = discover_proxy(host, settings, environ)
    effective = found.effective
    facts = {
        "proxy": effective.shown if effective else None,
        "proxy_source": effective.source if effective else None,
        "timeout": settings.connectivity_timeout,
    }
    if effective is not None and effective.problem is not None:
        return verdict(
            SKIP,
            f"not probed: the proxy mdatp would use is unusable ({effective.source}: "
            f"{effective.problem}); see the proxy check",
            facts=facts,
        )
    try:
        trust = load_trust(settings)
    except RootsError as exc:
        return verdict(
            FAIL,
            f"not probed: {exc}",
            remediation="Point mdeprereq:connectivity:roots at a readable PEM bundle of root "
            "certificates, or unset it to trust the shipped Microsoft and DigiCert roots.",
            facts=facts,
        )
    facts["trust"] = {"source": trust.source, "roots": trust.names}
    geo, geo_source, onboarding = resolve_geo(host, settings)
    facts.update({"geo": geo, "geo_source": geo_source})
    notes = []  # (what is off, what to do): a warning when every URL answers
    if onboarding is not None:
        facts["onboarding"] = onboarding
        facts["onboarding_kind"] = onboarding["kind"]
        if onboarding["error"]:
            notes.append(
                (
                    onboarding["error"],
                    "Run the check as root (the onboarding JSON is root's only), or set "
                    "mdeprereq:geo."
                    if onboarding["unreadable"]
                    else f"Put the onboarding JSON from the portal at {data.ONBOARD_JSON}.",
                )
            )
        elif onboarding["us_government"] and geo not in data.US_GOVERNMENT_GEOS:
            notes.append(
                (
                    "the onboarding JSON is for a US government cloud"
                    + (
                        f" but mdeprereq:geo is {geo}"
                        if geo
                        else ", so its geo's hosts were not probed"
                    ),
                    "Set mdeprereq:geo to the tenant's cloud: "
                    f"{', '.join(data.US_GOVERNMENT_GEOS)}.",
                )
            )
        elif onboarding["geo"] and geo and onboarding["geo"] != geo:
            notes.append(
                (
                    f"mdeprereq:geo is {geo} but the onboarding JSON is for {onboarding['geo']}",
                    f"Set mdeprereq:geo to {onboarding['geo']}, or unset it.",
                )
            )
    urls = list(dict.fromkeys(settings.connectivity_urls or default_urls(geo, onboarding)))
    if (
        not settings.connectivity_urls
        and geo is None
        and not (onboarding or {}).get("us_government")
    ):
        notes.append(
            (
                "the geo is unknown (no mdeprereq:geo, no onboarding JSON), so the geo's "
                "Defender hosts were not probed",
                f"Set mdeprereq:geo to the tenant's geo ({', '.join(data.GEOS)}).",
            )
        )
    command = None
    if host.mdatp_installed(settings.install_path) and host.mdatp_running(settings.install_path):
        command = _mdatp_command(host, mdatp_command)
    mdatp_process, mdatp_error = (None, None)
    if command:  # started first: it runs while we probe
        mdatp_process, mdatp_error = start_mdatp_connectivity_test(command)
    started = time.monotonic()
    entries = probe_all(
        urls,
        effective.value if effective else None,
        settings.connectivity_timeout,
        trust,
        system,
    )
    facts["elapsed"] = round(time.monotonic() - started, 3)
    facts["urls"] = entries
    facts["counts"] = {
        result: sum(1 for e in entries if e["result"] == result)
        for result in RESULTS
        if any(e["result"] == result for e in entries)
    }
    if command:
        mdatp_result = (
            finish_mdatp_connectivity_test(mdatp_process, data.MDATP_CONNECTIVITY_TEST_TIMEOUT)
            if mdatp_process
            else {"ran": False, "returncode": None, "urls": [], "error": mdatp_error}
        )
        facts["mdatp_connectivity_test"] = mdatp_result
        disagreements = compare_with_mdatp(entries, mdatp_result)
        if mdatp_result["error"]:
            disagreements.append(mdatp_result["error"])
        for note in disagreements:
            notes.append((note, MDATP_REMEDIATION))
    via = f"through proxy {effective.shown} ({effective.source})" if effective else "directly"
    bad = [entry for entry in entries if entry["result"] != OK]
    if not bad:
        roots_seen = sorted({entry.get("root") or "?" for entry in entries})
        message = (
            f"all {len(entries)} Defender URLs answer {via} with a TLS chain verified to "
            f"{trust.source} (ending in {', '.join(roots_seen)})"
        )
        if notes:
            return verdict(
                WARN,
                f"{message}; but {'; '.join(note for note, _ in notes)}",
                remediation=" ".join(dict.fromkeys(remedy for _, remedy in notes)),
                facts=facts,
            )
        return verdict(PASS, message, facts=facts)
    inspected = [entry for entry in bad if entry["result"] == INSPECTION]
    others = [entry for entry in bad if entry["result"] != INSPECTION]
    parts = []
    hosts = ", ".join(_entry_name(entry) for entry in inspected)
    if inspected:
        seen = sorted({entry.get("inspected_by") or "an unknown CA" for entry in inspected})
        copied = sorted({entry["impostor_of"] for entry in inspected if entry.get("impostor_of")})
        parts.append(
            f"{INSPECTION_MESSAGE}: {hosts} (chains issued by {', '.join(map(repr, seen))}, "
            f"not verifying to {trust.source}"
            + (f"; named like {', '.join(map(repr, copied))} without its key" if copied else "")
            + ")"
        )
    parts.extend(f"{_entry_name(e)}: {e['result']} ({e['detail']})" for e in others)
    message = f"{len(bad)} of {len(entries)} Defender URLs fail {via}: " + "; ".join(parts)
    if notes:
        message += f". Also: {'; '.join(note for note, _ in notes)}"
    kinds = list(dict.fromkeys(entry["result"] for entry in [*inspected, *others]))
    remediation = " ".join(CONNECTIVITY_REMEDIATIONS[kind] for kind in kinds)
    if inspected:
        remediation += f" Hosts to exempt: {hosts}."
    if any(remedy == MDATP_REMEDIATION for _, remedy in notes):
        remediation += " " + MDATP_REMEDIATION
    return verdict(FAIL, message, remediation=remediation, facts=facts)


def _entry_name(entry):
    if entry["host"] is None:
        return entry["url"]
    return _endpoint(entry["host"], entry["port"])
