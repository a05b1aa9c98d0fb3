"""The ``proxy`` and ``connectivity`` checks: reach Defender's cloud the way mdatp will.

Microsoft's prerequisites page: endpoints must reach ``*.endpoint.security.microsoft.com`` with no
proxy, a transparent proxy or a static proxy. PAC, WPAD and authenticated proxies are unsupported,
and so are SSL inspection and intercepting proxies ("adding your interception certificate to the
global store doesn't enable interception").

- :func:`validate_proxy_url` judges one proxy setting (pure; the states reuse it to refuse a bad
  proxy before writing anything). :func:`discover_proxy` finds every proxy mdatp could use.
- :func:`check_proxy` judges what was found; :func:`check_connectivity` resolves, connects (HTTP
  CONNECT through the proxy when there is one) and completes a verified TLS handshake with each
  Defender URL, all at once in threads, each bounded by the timeout, and tells SSL inspection by
  the certificate's issuer.

Proxy credentials never leave this module: every proxy URL in a message or a fact goes through
:func:`mask_proxy`. Standard library only.
"""

import dataclasses
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse

from . import data
from .redact import mask_proxy
from .result import FAIL, PASS, SKIP, WARN, verdict

PAGE = "Microsoft's 'Prerequisites for Microsoft Defender for Endpoint on Linux' page"
UNSUPPORTED = f"PAC, WPAD and authenticated proxies aren't supported ({PAGE})"
INSPECTION = "SSL inspection is not supported: exempt these hosts from inspection"
SETTING_SOURCE = "mdeprereq:proxy"
MANAGED_SOURCE = f"{data.MANAGED_PROXY_KEY} in {data.MANAGED_JSON}"

# Per-URL results of the connectivity check
OK, DNS, REFUSED, TIMEOUT, PROXY, TLS = "ok", "dns", "refused", "timeout", "proxy", "tls"
RESULTS = (OK, DNS, REFUSED, TIMEOUT, PROXY, TLS)
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
class ProxyURLError(ValueError):
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


# -- geo and the URLs to probe ---------------------------------------------------------------------
def _loads_maybe(value):
    """``value`` itself, or the JSON it holds when it is a string (the blob nests JSON in JSON)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def read_onboarding(host):
    """What the onboarding JSON tells about the tenant's geo and service URLs.

    :returns: None when there is no onboarding JSON, else ``{"geo", "datacenter",
        "geo_location_url", "vortex_server_url", "error"}`` (nothing secret: no org ID, no blob)
    """
    text, error = _read(host, data.ONBOARD_JSON)
    if text is None and error is None:
        return None
    info = {
        "geo": None,
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
    candidates = [body.get("vortexGeoLocation"), body.get("partnerGeoLocation")]
    host_name = urllib.parse.urlsplit(info["geo_location_url"] or "").hostname or ""
    if host_name.endswith(".endpoint.security.microsoft.com"):
        candidates.append(host_name.split(".")[1])
    for candidate in candidates:
        if isinstance(candidate, str):
            geo = data.ONBOARDING_GEO_ALIASES.get(candidate.strip().lower().removeprefix("gw_"))
            if geo:
                info["geo"] = geo
                break
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


def default_urls(geo, onboarding=None):
    """The URLs the connectivity check probes when ``mdeprereq:connectivity:urls`` is unset."""
    urls = []
    if geo:
        urls.extend(template.format(geo=geo) for template in data.CONNECTIVITY_GEO_URL_TEMPLATES)
        urls.extend(data.CONNECTIVITY_GEO_EXTRA_URLS.get(geo, ()))
    if onboarding:
        for key in ("geo_location_url", "vortex_server_url"):
            url = onboarding.get(key)
            if isinstance(url, str) and url.startswith("https://"):
                urls.append(url)
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
    def __init__(self, result, detail, verify_failed=False):
        super().__init__(detail)
        self.result = result
        self.detail = detail
        self.verify_failed = verify_failed


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

    def handshake(self, context):
        """Complete a TLS handshake verified by ``context``; the issuer's organization."""
        sock = self.open()
        self.progress["stage"] = "tls"
        try:
            remaining = self.remaining()
            if remaining <= 0:
                raise self.timed_out("tls")
            sock.settimeout(remaining)
            tls = context.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
        except BaseException:
            sock.close()
            raise
        try:
            tls.do_handshake()
            return _issuer_from_cert(tls.getpeercert()) or issuer_organization_from_der(
                tls.getpeercert(binary_form=True) or b""
            )
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or str(exc)
            raise _ProbeFailure(TLS, f"certificate verification failed: {reason}", True) from None
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

    def unverified_issuer(self):
        """The issuer organization of the certificate presented, without verifying it."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            sock = self.open()
            sock.settimeout(max(self.remaining(), 0.001))
            with context.wrap_socket(sock, server_hostname=self.host) as tls:
                return issuer_organization_from_der(tls.getpeercert(binary_form=True) or b"")
        except (_ProbeFailure, OSError, ValueError):
            return None


def _issuer_from_cert(cert):
    organizations = [
        value
        for rdn in (cert or {}).get("issuer", ())
        for key, value in rdn
        if key == "organizationName"
    ]
    return ", ".join(organizations) or None


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


_OID_ORGANIZATION = bytes([0x55, 0x04, 0x0A])  # 2.5.4.10
_DER_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1E: "utf-16-be"}


def issuer_organization_from_der(der):
    """The issuer's organization (O=) of a DER certificate, or None; never raises.

    Used on a certificate that failed verification, which ``getpeercert()`` does not decode.
    """
    try:
        _tag, start, _end = _der_item(der, 0)  # Certificate
        _tag, position, _end = _der_item(der, start)  # tbsCertificate
        tag, _start, end = _der_item(der, position)
        if tag == 0xA0:  # [0] version
            position = end
        for _skipped in ("serialNumber", "signature"):
            _tag, _start, position = _der_item(der, position)
        _tag, position, issuer_end = _der_item(der, position)  # issuer Name
        organizations = []
        while position < issuer_end:
            _tag, inner, rdn_end = _der_item(der, position)  # RelativeDistinguishedName (SET)
            while inner < rdn_end:
                _tag, pair, pair_end = _der_item(der, inner)  # AttributeTypeAndValue
                _tag, oid_start, oid_end = _der_item(der, pair)
                value_tag, value_start, value_end = _der_item(der, oid_end)
                if der[oid_start:oid_end] == _OID_ORGANIZATION:
                    codec = _DER_STRINGS.get(value_tag, "latin-1")
                    organizations.append(der[value_start:value_end].decode(codec, "replace"))
                inner = pair_end
            position = rdn_end
    except (IndexError, ValueError):
        return None
    return ", ".join(organizations) or None


def probe_url(
    url,
    proxy=None,
    timeout=data.CONNECTIVITY_TIMEOUT,
    context=None,
    *,
    deadline=None,
    progress=None,
):
    """Resolve, connect (CONNECT through ``proxy``) and complete a verified TLS handshake.

    :param context: the :class:`ssl.SSLContext` that verifies (default: the system store)
    :param deadline: a :func:`time.monotonic` time by which to give up (default: now + timeout)
    :param progress: a dict in which the current stage is kept, for a caller that stops waiting
    :returns: ``{"url", "host", "port", "result", "detail", "issuer", "elapsed"}``; ``result`` is
        one of :data:`RESULTS`. The issuer is not judged here (see :func:`judge_issuer`).
    """
    start = time.monotonic()
    entry = {
        "url": url,
        "host": None,
        "port": None,
        "result": None,
        "detail": "",
        "issuer": None,
        "elapsed": None,
    }
    try:
        host, port = url_address(url)
    except ValueError as exc:  # not a usable URL
        entry.update(result=DNS, detail=f"not a URL with a host name: {exc}", elapsed=0.0)
        return entry
    entry.update(host=host, port=port)
    attempt = _Attempt(
        host=host,
        port=port,
        proxy=proxy,
        timeout=timeout,
        deadline=start + timeout if deadline is None else deadline,
        progress={} if progress is None else progress,
    )
    try:
        issuer = attempt.handshake(ssl.create_default_context() if context is None else context)
        entry.update(result=OK, detail="verified TLS handshake", issuer=issuer)
    except ProxyURLError as exc:
        entry.update(result=PROXY, detail=f"the proxy is unusable: {exc}")
    except _ProbeFailure as failure:
        entry.update(result=failure.result, detail=failure.detail)
        if failure.verify_failed:  # who issued what failed? (SSL inspection, or not)
            entry["issuer"] = attempt.unverified_issuer()
    entry["elapsed"] = round(time.monotonic() - start, 3)
    return entry


def _issuer_expected(issuer, expected):
    if issuer is None:
        return False
    wanted = {name.strip().casefold() for name in expected}
    # several O= values are joined with ", "; an organization name may hold ", " itself
    candidates = [issuer, *issuer.split(", ")]
    return any(candidate.strip().casefold() in wanted for candidate in candidates)


def judge_issuer(entry, expected):
    """``entry`` with a certificate from an unexpected issuer turned into SSL inspection.

    An empty ``expected`` judges nothing.
    """
    if not expected or entry["result"] not in (OK, TLS):
        return entry
    issuer = entry.get("issuer")
    verified = entry["result"] == OK
    if _issuer_expected(issuer, expected) or (not verified and issuer is None):
        return entry
    seen = f"issued by {issuer!r}" if issuer else "issued by a CA without an organization name"
    detail = (
        f"{INSPECTION} (the certificate of {entry['host']} was {seen}, not by "
        f"{' or '.join(expected)}"
    )
    if not verified:
        detail += f"; {entry['detail']}"
    return {**entry, "result": TLS, "detail": detail + ")"}


def probe_all(urls, proxy, timeout, context, expected_issuers=()):
    """Probe every URL at once, each in its own thread, all bounded by one ``timeout``.

    A probe still blocked past the deadline (plus :data:`JOIN_GRACE`) is reported as a timeout at
    the stage it had reached and left behind (a daemon thread).
    """
    start = time.monotonic()
    deadline = start + timeout
    slots = []
    for url in urls:
        progress, box = {"stage": "dns"}, {}

        def run(url=url, progress=progress, box=box):
            try:
                box["entry"] = probe_url(
                    url, proxy, timeout, context, deadline=deadline, progress=progress
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
        entries.append(judge_issuer(entry, expected_issuers))
    return entries


def _failed_entry(url, result, detail):
    try:
        host, port = url_address(url)
    except ValueError:
        host, port = None, None
    return {
        "url": url,
        "host": host,
        "port": port,
        "result": result,
        "detail": detail,
        "issuer": None,
        "elapsed": None,
    }


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
    TLS: "Check the system CA store (ca-certificates) and the clock; nothing on the way may "
    "terminate TLS.",
    "inspection": "Exempt *.endpoint.security.microsoft.com and the other Defender URLs from SSL "
    "inspection on the proxy or firewall: adding the interception certificate to the system "
    "store does not make it work.",
}


def check_connectivity(host, settings, environ=None, ssl_context=None):
    """Probe each Defender URL the way mdatp will (see :func:`probe_all`).

    :param ssl_context: what verifies the servers' certificates (default
        ``ssl.create_default_context()``: the system store, so ``SSL_CERT_FILE`` works)
    """
    found = discover_proxy(host, settings, environ)
    effective = found.effective
    facts = {
        "proxy": effective.shown if effective else None,
        "proxy_source": effective.source if effective else None,
        "timeout": settings.connectivity_timeout,
        "expected_issuers": list(settings.expected_issuers),
    }
    if effective is not None and effective.problem is not None:
        return verdict(
            SKIP,
            f"not probed: the proxy mdatp would use is unusable ({effective.source}: "
            f"{effective.problem}); see the proxy check",
            facts=facts,
        )
    geo, geo_source, onboarding = resolve_geo(host, settings)
    facts.update({"geo": geo, "geo_source": geo_source})
    notes = []  # (what is off, what to do): a warning when every URL answers
    if onboarding is not None:
        facts["onboarding"] = onboarding
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
        elif onboarding["geo"] and geo and onboarding["geo"] != geo:
            notes.append(
                (
                    f"mdeprereq:geo is {geo} but the onboarding JSON is for {onboarding['geo']}",
                    f"Set mdeprereq:geo to {onboarding['geo']}, or unset it.",
                )
            )
    urls = list(dict.fromkeys(settings.connectivity_urls or default_urls(geo, onboarding)))
    if not settings.connectivity_urls and geo is None:
        notes.append(
            (
                "the geo is unknown (no mdeprereq:geo, no onboarding JSON), so the geo's "
                "*.endpoint.security.microsoft.com hosts were not probed",
                f"Set mdeprereq:geo to the tenant's geo ({', '.join(data.GEOS)}).",
            )
        )
    if ssl_context is None:
        ssl_context = ssl.create_default_context()
        paths = ssl.get_default_verify_paths()
        facts["trust_store"] = {"cafile": paths.cafile, "capath": paths.capath}
    started = time.monotonic()
    entries = probe_all(
        urls,
        effective.value if effective else None,
        settings.connectivity_timeout,
        ssl_context,
        settings.expected_issuers,
    )
    facts["elapsed"] = round(time.monotonic() - started, 3)
    facts["urls"] = entries
    facts["counts"] = {
        result: sum(1 for e in entries if e["result"] == result)
        for result in RESULTS
        if any(e["result"] == result for e in entries)
    }
    via = f"through proxy {effective.shown} ({effective.source})" if effective else "directly"
    bad = [entry for entry in entries if entry["result"] != OK]
    if not bad:
        issuers = sorted({entry["issuer"] or "?" for entry in entries})
        message = (
            f"all {len(entries)} Defender URLs answer {via} with a verified TLS handshake "
            f"(issuers: {', '.join(issuers)})"
        )
        if notes:
            return verdict(
                WARN,
                f"{message}; but {'; '.join(note for note, _ in notes)}",
                remediation=" ".join(remedy for _, remedy in notes),
                facts=facts,
            )
        return verdict(PASS, message, facts=facts)
    inspected = [entry for entry in bad if entry["detail"].startswith(INSPECTION)]
    others = [entry for entry in bad if entry not in inspected]
    parts = []
    if inspected:
        seen = sorted(
            {entry["issuer"] or "a CA without an organization name" for entry in inspected}
        )
        hosts = ", ".join(_entry_name(entry) for entry in inspected)
        issuers = ", ".join(repr(name) for name in seen)
        expected = " or ".join(settings.expected_issuers)
        parts.append(
            f"{INSPECTION}: {hosts} (certificates issued by {issuers}, expected {expected})"
        )
    parts.extend(f"{_entry_name(e)}: {e['result']} ({e['detail']})" for e in others)
    message = f"{len(bad)} of {len(entries)} Defender URLs fail {via}: " + "; ".join(parts)
    if notes:
        message += f". Also: {'; '.join(note for note, _ in notes)}"
    kinds = (["inspection"] if inspected else []) + list(
        dict.fromkeys(entry["result"] for entry in others)
    )
    return verdict(
        FAIL,
        message,
        remediation=" ".join(CONNECTIVITY_REMEDIATIONS[kind] for kind in kinds),
        facts=facts,
    )


def _entry_name(entry):
    if entry["host"] is None:
        return entry["url"]
    return _endpoint(entry["host"], entry["port"])
