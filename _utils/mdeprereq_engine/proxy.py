"""The ``proxy`` check: which proxy mdatp would use, and whether mdatp can use it.

Microsoft's prerequisites page: endpoints must reach ``*.endpoint.security.microsoft.com`` with no
proxy, a transparent proxy or a static proxy. PAC, WPAD and authenticated proxies are unsupported.

- :func:`validate_proxy_url` judges one proxy setting (pure; the states reuse it to refuse a bad
  proxy before writing anything); :func:`normalize_proxy_url` and :func:`proxy_address` read a
  valid one.
- :func:`discover_proxy` finds every proxy mdatp could use (``mdeprereq:proxy``, the environment,
  /etc/environment, ``cloudService.proxy`` in the managed settings file, read through
  :func:`.managed.read`); :func:`check_proxy` judges what was found.

Proxy credentials never leave this module: every proxy URL in a message or a fact goes through
:func:`mask_proxy`. Standard library only.
"""

import dataclasses
import ipaddress
import os
import re
import urllib.parse

from . import data, managed
from .errors import MdeprereqError
from .redact import mask_proxy
from .result import FAIL, PASS, WARN, verdict

PAGE = "Microsoft's 'Prerequisites for Microsoft Defender for Endpoint on Linux' page"
UNSUPPORTED = f"PAC, WPAD and authenticated proxies aren't supported ({PAGE})"
SETTING_SOURCE = "mdeprereq:proxy"
MANAGED_SOURCE = f"{data.MANAGED_PROXY_KEY} in {data.MANAGED_JSON}"


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
    try:
        settings = managed.read(host)  # strict: UTF-8, no duplicates, NaN, deep nesting
    except managed.ManagedJsonMissingError:
        return False, None, None
    except managed.ManagedJsonUnreadableError as exc:
        reason = exc.os_error.strerror or exc.os_error
        error = f"{data.MANAGED_JSON} can't be read: {reason}"
        return True, None, (WARN, f"{error}; run the check as root")
    except managed.ManagedJsonError as exc:  # not strict JSON, or not an object
        return True, None, (FAIL, f"{exc}: mdatp ignores it")
    value = managed.get(settings, data.MANAGED_PROXY_KEY)
    if value in (None, ""):
        return True, None, None
    if not isinstance(value, str):
        return (
            True,
            None,
            (
                FAIL,
                f"{data.MANAGED_PROXY_KEY} in {data.MANAGED_JSON} is a {type(value).__name__}, "
                "not a string: a value of the wrong type makes mdatp ignore the whole file",
            ),
        )
    return True, value, None


def discover_proxy(host, settings, environ=None):
    """Find the proxy settings mdatp would use on ``host`` (see :class:`ProxyDiscovery`).

    Install-time, in precedence order: ``mdeprereq:proxy``; ``HTTPS_PROXY`` / ``https_proxy`` in
    the environment (``environ``, default ``host.environ``); the same in /etc/environment. After
    install: ``cloudService.proxy`` in the managed settings file. Also notes auto_proxy-style
    (PAC) settings in the environment and /etc/environment.
    """
    environ = _environ(host) if environ is None else environ
    try:
        file_text = host.read_text(data.ENVIRONMENT_FILE)
    except OSError:  # unreadable here (not root): no proxy found in it
        file_text = None
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
