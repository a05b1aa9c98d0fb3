"""Settings: validate what the admin configured under ``mdeprereq:`` and merge it over defaults.

The one reading of the settings tree: the execution module's ``_configured()`` hands the whole
``mdeprereq:`` mapping of its sources to :func:`merge_layers` (pillar over the minion config over
the master's config), and the formula's ``map.jinja`` reads the same merged tree
through ``mdeprereq.configured`` before laying it over ``defaults.yaml``. So the checks, the
states and the formula agree on every key, e.g. which checks ``ignore`` waives when it is split
between the minion config and pillar. Anything malformed raises
:class:`SettingsError` naming the key, before any check runs or anything changes; an error never
quotes a secret (a proxy, a URL with credentials, an onboarding blob).

:data:`SCHEMA` is the one table of every key under ``mdeprereq:``: :func:`check_known` makes an
unknown key (a typo like ``user: {UID: ...}``) an error naming it and the known ones.
"""

import copy
import dataclasses
import math
import posixpath
import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import data
from .errors import SettingsError
from .redact import mask_url
from .repos import CHANNELS, normalize_fingerprint
from .versions import parse_mdatp_version

# Every key under mdeprereq:, one line each: (its keys, read by the check engine). The keys are
# a tuple of the sub-keys of a mapping (any other is an error), FREE for a mapping whose keys are
# data (distributions, check IDs, mdatp's settings), or VALUE for anything else. A key with
# True is read by the check engine (KEYS below); the others by the formula, runner or beacon.
FREE = "free"
VALUE = "value"
SCHEMA = {
    "support": (FREE, True),
    "mdatp_version": (VALUE, True),
    "user": (("uid", "gid"), True),
    "install_path": (VALUE, True),
    "proxy": (VALUE, True),
    "geo": (VALUE, True),
    # expected_issuers: gone, still known so that its error names mdeprereq:connectivity:roots
    "connectivity": (("urls", "timeout", "roots", "expected_issuers"), True),
    "ignore": (FREE, True),
    "fanotify_conflict": (VALUE, True),
    "channel": (VALUE, True),
    "repo": (("url", "key_url", "trusted", "base_distro", "fingerprints"), True),
    "desktop": (VALUE, True),
    "derived": (VALUE, True),
    "onboarding": (("source", "contents"), False),  # mde.onboard
    "offboarding": (("source", "contents"), False),  # mde.offboard
    "licensed_timeout": (VALUE, False),  # mde.onboard: seconds mdeprereq.licensed waits
    "managed": (FREE, True),  # mde.config; the agent checks read its enforcementLevel
    "definitions_max_age_hours": (VALUE, True),  # agent_definitions
    "channel_switch": (VALUE, True),  # agent_version and mde.install's channel_kept
    "schedule": (("enabled", "hours", "splay"), False),  # mde.schedule
    "remediation": (("max_attempts", "window"), False),  # the runner, on the master
    "report": (("settle",), False),  # the runner, on the master
}

# The keys the check engine reads (``mdeprereq:<key>``)
KEYS = tuple(key for key, (_, engine) in SCHEMA.items() if engine)
FANOTIFY_CONFLICT_POLICIES = ("passive", "fail")

MAX_ID = 2**32 - 2  # (uid_t)-1 is reserved


def merge_layers(*layers):
    """The ``mdeprereq:`` trees of ``layers`` (lowest precedence first) merged into one.

    Mappings merge key by key, recursively; any other value (a list, a string, a number) of a
    later layer replaces the earlier one whole, as Salt's ``slsutil.merge`` with
    ``strategy=recurse`` does (so ``ignore: [a]`` in pillar replaces ``ignore: [b]`` of the minion
    config, while ``ignore: {a: why}`` and ``ignore: {b: why}`` waive both). A layer that is None
    or empty is skipped; one that is not a mapping replaces everything below it, so that
    :func:`check_known` names it. The layers themselves are never changed.
    """
    merged = None
    for layer in layers:
        if layer is None or layer == "":
            continue
        merged = _merge(merged, layer)
    return merged


def _merge(lower, upper):
    if not isinstance(lower, dict) or not isinstance(upper, dict):
        return copy.deepcopy(upper)
    merged = dict(lower)
    for key, value in upper.items():
        merged[key] = _merge(lower[key], value) if key in lower else copy.deepcopy(value)
    return merged


def check_known(raw):
    """Raise :class:`SettingsError` for a key under ``mdeprereq:`` (``raw``, the whole mapping)
    or under one of its fixed mappings that :data:`SCHEMA` does not know, naming the key and the
    known ones; and for onboarding contents or a licensed timeout that can't be right."""
    if raw is None or raw == "":
        return
    if not isinstance(raw, dict):
        raise SettingsError(f"mdeprereq must be a mapping of settings, got a {type(raw).__name__}")
    unknown = sorted(str(key) for key in raw if key not in SCHEMA)
    if unknown:
        raise SettingsError(
            f"mdeprereq: unknown key(s) {', '.join(map(repr, unknown))}; known: {', '.join(SCHEMA)}"
        )
    for key, (keys, _) in SCHEMA.items():
        value = raw.get(key)
        if not isinstance(keys, tuple) or value is None or value == "":
            continue
        if not isinstance(value, dict):
            raise SettingsError(
                f"mdeprereq:{key} must be a mapping ({', '.join(keys)}), got a "
                f"{type(value).__name__}"
            )
        unknown = sorted(str(sub) for sub in value if sub not in keys)
        if unknown:
            raise SettingsError(
                f"mdeprereq:{key}: unknown key(s) {', '.join(map(repr, unknown))}; known: "
                f"{', '.join(keys)}"
            )
    for key in ("onboarding", "offboarding"):
        contents = (raw.get(key) or {}).get("contents")
        if contents is not None and not isinstance(contents, str):
            # never its value: it is the onboarding blob
            raise SettingsError(
                f"mdeprereq:{key}:contents must be the text of Microsoft's {key} JSON file (a "
                f"string, e.g. a YAML block with |), not a {type(contents).__name__}: Salt would "
                "write a mapping as a Python repr, which mdatp can't read"
            )
    licensed_timeout(raw.get("licensed_timeout"))


def seconds(key, value, default, maximum=86400):
    """``value`` as a finite number of seconds > 0 (at most ``maximum``), or ``default`` when
    None; :class:`SettingsError` naming ``key`` otherwise."""
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SettingsError(f"{key} must be a number of seconds, got a {type(value).__name__}")
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{key} must be a number of seconds, got {str(value)[:40]!r}") from None
    if not math.isfinite(number) or not 0 < number <= maximum:
        raise SettingsError(
            f"{key} must be a number of seconds > 0 and <= {maximum}, got {value!r}"
        )
    return number


def licensed_timeout(value):
    """``mdeprereq:licensed_timeout``: seconds ``mdeprereq.licensed`` waits (default 120)."""
    return seconds("mdeprereq:licensed_timeout", value, 120.0)


@dataclasses.dataclass(kw_only=True)
class Settings:
    """Validated settings with Microsoft's defaults filled in."""

    support: dict
    mdatp_version: str | None = None  # None: the newest
    uid: int | None = None
    gid: int | None = None
    install_path: str = data.DEFAULT_INSTALL_PATH
    # The proxy URL exactly as configured: the proxy check judges it (PAC, credentials, ...)
    proxy: str | None = None
    geo: str | None = None
    connectivity_urls: list | None = None  # None: the default set for the geo
    connectivity_timeout: float = data.CONNECTIVITY_TIMEOUT
    # A PEM bundle of the roots Defender's chains must verify to; None: the shipped ones (roots.py)
    connectivity_roots: str | None = None
    # Waived checks: {check ID: reason}
    ignore: dict = dataclasses.field(default_factory=dict)
    # What passive_if_conflicting does about a blocking fanotify holder: "passive" or "fail"
    fanotify_conflict: str = "passive"
    # Microsoft's repository: channel, and a mirror's URL / key URL / unsigned (trusted) mirror
    channel: str = "prod"
    repo_url: str | None = None
    repo_key_url: str | None = None
    repo_trusted: bool = False
    # For a derived distribution: the listed one whose repository it uses, e.g. ("rhel", "9")
    repo_base_distro: tuple | None = None
    # What the distro check says about a desktop edition / a derived distribution: warn or fail
    desktop: str = "warn"
    derived: str = "warn"
    # {key file name: fingerprint} over Microsoft's (a mirror's or the tests' own signing keys)
    repo_fingerprints: dict = dataclasses.field(default_factory=dict)
    # After the rollout (agent checks): the oldest definitions that pass, whether the formula
    # may switch the installed channel (uninstall, reinstall), the real-time protection mode
    # asked for in mdeprereq:managed (antivirusEngine.enforcementLevel; None: not asked)
    definitions_max_age_hours: float = data.DEFINITIONS_MAX_AGE_HOURS
    channel_switch: bool = False
    enforcement_level: str | None = None

    @classmethod
    def from_raw(cls, raw=None):
        """Build from ``{key: raw value}`` (missing or None keys take the defaults)."""
        raw = {key: value for key, value in (raw or {}).items() if value not in (None, "")}
        check_known(raw)
        user = raw.get("user") or {}
        if not isinstance(user, dict):
            raise SettingsError(f"mdeprereq:user must be a mapping with uid and gid, got {user!r}")
        support = merge_support(raw.get("support"))
        return cls(
            support=support,
            mdatp_version=_mdatp_version(raw.get("mdatp_version")),
            uid=_account_id("mdeprereq:user:uid", user.get("uid")),
            gid=_account_id("mdeprereq:user:gid", user.get("gid")),
            install_path=_install_path(raw.get("install_path")),
            proxy=_proxy(raw.get("proxy")),
            geo=_geo(raw.get("geo")),
            **_connectivity(raw.get("connectivity")),
            ignore=waivers(raw.get("ignore")),
            fanotify_conflict=_fanotify_conflict(raw.get("fanotify_conflict")),
            channel=_channel(raw.get("channel")),
            **_repo(raw.get("repo"), support),
            desktop=_choice("mdeprereq:desktop", raw.get("desktop"), data.SUPPORT_POLICIES, "warn"),
            derived=_choice("mdeprereq:derived", raw.get("derived"), data.SUPPORT_POLICIES, "warn"),
            definitions_max_age_hours=_definitions_max_age(raw.get("definitions_max_age_hours")),
            channel_switch=_boolean("mdeprereq:channel_switch", raw.get("channel_switch")),
            enforcement_level=_enforcement_level(raw.get("managed")),
        )


def merge_support(overrides):
    """The default support matrix with ``mdeprereq:support`` laid over it.

    A given distribution/architecture entry replaces the default one; an empty list removes it.
    """
    matrix = copy.deepcopy(data.SUPPORT_MATRIX)
    if overrides is None:
        return matrix
    if not isinstance(overrides, dict):
        raise SettingsError(
            "mdeprereq:support must map os-release ID -> architecture -> list of version "
            f"specifiers, got {overrides!r}"
        )
    for os_id, arches in overrides.items():
        key = f"mdeprereq:support:{os_id}"
        if not isinstance(arches, dict):
            raise SettingsError(
                f"{key} must map architecture -> list of specifiers, got {arches!r}"
            )
        for arch, specifiers in arches.items():
            arch_key = f"{key}:{arch}"
            if arch not in data.ARCHITECTURES:
                raise SettingsError(
                    f"{arch_key}: unknown architecture {arch!r}; use one of "
                    f"{', '.join(data.ARCHITECTURES)}"
                )
            if specifiers is None:
                specifiers = []  # noqa: PLW2901 - YAML's "x86_64:" with nothing means none
            if isinstance(specifiers, str) or not isinstance(specifiers, list):
                raise SettingsError(
                    f"{arch_key} must be a list of version specifiers like '>=7.2,<8', "
                    f"got {specifiers!r}"
                )
            for specifier in specifiers:
                try:
                    SpecifierSet(str(specifier))
                except InvalidSpecifier as exc:
                    raise SettingsError(
                        f"{arch_key}: {specifier!r} is not a version specifier "
                        "(examples: '==9.*', '>=7.2,<8')"
                    ) from exc
            matrix.setdefault(str(os_id), {})[arch] = [str(spec) for spec in specifiers]
    return matrix


def _mdatp_version(value):
    if value is None:
        return None
    text = str(value).strip()
    if text in ("latest", "newest"):
        return None
    try:
        parse_mdatp_version(text)
    except ValueError as exc:
        raise SettingsError(f"mdeprereq:mdatp_version: {exc}") from exc
    return text


ASCII_DIGITS = re.compile(r"^-?[0-9]{1,10}$")


def _account_id(key, value):
    if value is None or value == "":
        return None
    # plain ASCII digits only (blanks around allowed): int() would take "1_500" and Unicode digits
    text = value.strip(" \t") if isinstance(value, str) else None
    if isinstance(value, bool) or not (
        isinstance(value, int) or (text is not None and ASCII_DIGITS.match(text))
    ):
        raise SettingsError(f"{key} must be a whole number, got {str(value)[:40]!r}")
    number = int(value if text is None else text)
    if not 0 < number <= MAX_ID:
        raise SettingsError(f"{key} must be between 1 and {MAX_ID}, got {number}")
    return number


def _install_path(value):
    if value is None:
        return data.DEFAULT_INSTALL_PATH
    text = str(value)
    if not text.startswith("/") or "\n" in text or "\0" in text:
        raise SettingsError(f"mdeprereq:install_path must be an absolute path, got {value!r}")
    if ".." in text.split("/"):
        raise SettingsError(f"mdeprereq:install_path must not contain '..', got {value!r}")
    return posixpath.normpath(text)


def _proxy(value):
    if value is None:
        return None
    if not isinstance(value, str):
        # never its repr: a mapping of user/password is a secret too
        raise SettingsError(
            "mdeprereq:proxy must be a URL string like http://proxy:3128, got a "
            f"{type(value).__name__}"
        )
    return value


def _geo(value):
    geo = None if value is None else str(value).strip().lower()
    return _choice("mdeprereq:geo", geo, data.GEOS, None)


def _connectivity(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(
            f"mdeprereq:connectivity must be a mapping (urls, timeout, roots), got {value!r}"
        )
    result = {}
    urls = value.get("urls")
    if urls is not None:
        if isinstance(urls, str) or not isinstance(urls, list) or not urls:
            raise SettingsError(
                f"mdeprereq:connectivity:urls must be a non-empty list of URLs, got {urls!r}"
            )
        for url in urls:
            if (
                not isinstance(url, str)
                or not url.startswith("https://")
                or any(c.isspace() for c in url)
            ):
                shown = mask_url(url) if isinstance(url, str) else type(url).__name__
                raise SettingsError(
                    f"mdeprereq:connectivity:urls: {shown!r} is not an https:// URL"
                )
        result["connectivity_urls"] = list(urls)
    timeout = value.get("timeout")
    if timeout is not None:
        if isinstance(timeout, bool):
            raise SettingsError(f"mdeprereq:connectivity:timeout must be seconds, got {timeout!r}")
        try:
            seconds = float(timeout)
        except (TypeError, ValueError) as exc:
            raise SettingsError(
                f"mdeprereq:connectivity:timeout must be seconds, got {timeout!r}"
            ) from exc
        if not 0 < seconds <= 300:
            raise SettingsError(
                f"mdeprereq:connectivity:timeout must be between 0 and 300 seconds, got {timeout!r}"
            )
        result["connectivity_timeout"] = seconds
    if value.get("expected_issuers") is not None:
        raise SettingsError(
            "mdeprereq:connectivity:expected_issuers is no longer read: Defender's hosts are "
            "trusted by key now, not by the issuer's name (a name anyone can copy). Remove it; "
            "to trust other roots than the shipped Microsoft and DigiCert ones, set "
            "mdeprereq:connectivity:roots to a PEM bundle file"
        )
    roots = value.get("roots")
    if roots is not None:
        if (
            not isinstance(roots, str)
            or not posixpath.isabs(roots)
            or any(c.isspace() and c != " " for c in roots)
        ):
            raise SettingsError(
                "mdeprereq:connectivity:roots must be the absolute path of a PEM bundle of root "
                f"certificates, got {roots!r}"
            )
        result["connectivity_roots"] = roots
    return result


WAIVED_WITHOUT_REASON = "waived by mdeprereq:ignore"


def waivers(value, key="mdeprereq:ignore"):
    """``{check ID: reason}`` from a list of IDs, a comma-separated string or a mapping."""
    from . import checks  # noqa: PLC0415 - checks does not import settings; avoid a cycle

    if isinstance(value, dict):
        checks.known_ids(list(value), key, SettingsError)
        return {
            check_id: str(reason or WAIVED_WITHOUT_REASON) for check_id, reason in value.items()
        }
    if value is not None and not isinstance(value, (str, list)):
        raise SettingsError(f"{key} must be a list of check IDs or a mapping ID -> reason")
    ids = checks.parse_ids(value, key, SettingsError, text_only=True)
    return dict.fromkeys(ids, WAIVED_WITHOUT_REASON)


def _choice(key, value, choices, default):
    if value is None:
        return default
    if value not in choices:
        raise SettingsError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _fanotify_conflict(value):
    return _choice("mdeprereq:fanotify_conflict", value, FANOTIFY_CONFLICT_POLICIES, "passive")


def _channel(value):
    return _choice("mdeprereq:channel", value, CHANNELS, "prod")


def _url(key, value):
    if value is None:
        return None
    text = str(value)
    if not text.startswith(("https://", "http://", "file://", "salt://")) or any(
        character.isspace() for character in text
    ):
        raise SettingsError(
            f"{key} must be an http(s)://, file:// or salt:// URL, got {mask_url(text)!r}"
        )
    if mask_url(text) != text:
        # A source line or gpgkey URL is shown in every state return (pkgrepo.managed's name,
        # its changes), the job cache and the minion's state cache: credentials never go there.
        raise SettingsError(
            f"{key} must not carry credentials ({mask_url(text)!r}): give them to the package "
            "manager instead (apt: /etc/apt/auth.conf.d/, mode 0600; dnf/yum: the repository's "
            "username= and password=; zypper: a credentials file)"
        )
    return text.rstrip("/")


def _repo(value, support):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(
            "mdeprereq:repo must be a mapping (url, key_url, trusted, base_distro, fingerprints), "
            f"got {mask_url(repr(value))}"
        )
    trusted = value.get("trusted", False)
    if not isinstance(trusted, bool):
        raise SettingsError(f"mdeprereq:repo:trusted must be true or false, got {trusted!r}")
    return {
        "repo_url": _url("mdeprereq:repo:url", value.get("url")),
        "repo_key_url": _url("mdeprereq:repo:key_url", value.get("key_url")),
        "repo_trusted": trusted,
        "repo_base_distro": _base_distro(value.get("base_distro"), support),
        "repo_fingerprints": _fingerprints(value.get("fingerprints")),
    }


def _base_distro(value, support):
    """``"rhel 9"`` -> ``("rhel", "9")``: a row key of the support matrix and a version."""
    if value is None or value == "":
        return None
    parts = str(value).split()
    if len(parts) != 2 or not parts[1][:1].isdigit():
        raise SettingsError(
            "mdeprereq:repo:base_distro must be '<distribution> <version>' as the support "
            f"matrix names them, e.g. 'rhel 9' or 'ubuntu 22.04', got {value!r}"
        )
    os_id, version = parts[0].lower(), parts[1]
    known = support.keys()
    if os_id not in known:
        raise SettingsError(
            f"mdeprereq:repo:base_distro: {os_id!r} is not a distribution of Microsoft's list "
            f"({', '.join(known)})"
        )
    return os_id, version


def _fingerprints(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(
            "mdeprereq:repo:fingerprints must map a key file name (microsoft.asc, "
            f"microsoft-2025.asc) to its fingerprint, got {value!r}"
        )
    checked = {}
    for name, fingerprint in value.items():
        try:
            checked[str(name)] = normalize_fingerprint(fingerprint)
        except ValueError as exc:
            raise SettingsError(f"mdeprereq:repo:fingerprints:{name}: {exc}") from exc
    return checked


def _definitions_max_age(value):
    if value is None:
        return data.DEFINITIONS_MAX_AGE_HOURS
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 8760:
        raise SettingsError(
            "mdeprereq:definitions_max_age_hours must be a number of hours between 0 and 8760, "
            f"got {value!r}"
        )
    return value


def _boolean(key, value):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise SettingsError(f"{key} must be true or false, got {value!r}")
    return value


def _enforcement_level(managed):
    """``antivirusEngine.enforcementLevel`` of ``mdeprereq:managed`` (the managed settings the
    formula writes), or None; the rest of the mapping is managed.py's to validate."""
    if managed is None:
        return None
    if not isinstance(managed, dict):
        raise SettingsError(f"mdeprereq:managed must be a mapping, got {managed!r}")
    engine = managed.get("antivirusEngine")
    if engine is None:
        return None
    if not isinstance(engine, dict):
        raise SettingsError(f"mdeprereq:managed:antivirusEngine must be a mapping, got {engine!r}")
    return _choice(
        "mdeprereq:managed:antivirusEngine:enforcementLevel",
        engine.get("enforcementLevel"),
        data.ENFORCEMENT_LEVELS,
        None,
    )
