"""Settings: validate what the admin configured under ``mdeprereq:`` and merge it over defaults.

The Salt adapters read each key of :data:`KEYS` with ``config.get('mdeprereq:<key>')`` (minion
config, grains, pillar or master config) and hand the raw values here. Anything malformed raises
:class:`SettingsError` naming the key, before any check runs or anything changes.
"""

import copy
import dataclasses
import posixpath

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import data
from .versions import parse_mdatp_version

# The keys the check engine reads (``mdeprereq:<key>``)
KEYS = (
    "support",
    "mdatp_version",
    "user",
    "install_path",
    "proxy",
    "geo",
    "connectivity",
    "ignore",
    "fanotify_conflict",
    "channel",
    "repo",
)
FANOTIFY_CONFLICT_POLICIES = ("passive", "fail")

MAX_ID = 2**32 - 2  # (uid_t)-1 is reserved


class SettingsError(ValueError):
    """A setting under ``mdeprereq:`` is malformed; the message names the key."""


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
    expected_issuers: list = dataclasses.field(
        default_factory=lambda: list(data.EXPECTED_ISSUER_ORGANIZATIONS)
    )
    # Waived checks: {check ID: reason}
    ignore: dict = dataclasses.field(default_factory=dict)
    # What passive_if_conflicting does about a blocking fanotify holder: "passive" or "fail"
    fanotify_conflict: str = "passive"
    # Microsoft's repository: channel, and a mirror's URL / key URL / unsigned (trusted) mirror
    channel: str = "prod"
    repo_url: str | None = None
    repo_key_url: str | None = None
    repo_trusted: bool = False
    repo_key_fingerprint: str | None = None

    @classmethod
    def from_raw(cls, raw=None):
        """Build from ``{key: raw value}`` (missing or None keys take the defaults)."""
        raw = {key: value for key, value in (raw or {}).items() if value not in (None, "")}
        user = raw.get("user") or {}
        if not isinstance(user, dict):
            raise SettingsError(f"mdeprereq:user must be a mapping with uid and gid, got {user!r}")
        return cls(
            support=merge_support(raw.get("support")),
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
            **_repo(raw.get("repo")),
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


def _account_id(key, value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise SettingsError(f"{key} must be a whole number, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError as exc:
        raise SettingsError(f"{key} must be a whole number, got {value!r}") from exc
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
        raise SettingsError(
            f"mdeprereq:proxy must be a URL string like http://proxy:3128, got {value!r}"
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
            "mdeprereq:connectivity must be a mapping (urls, timeout, expected_issuers), "
            f"got {value!r}"
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
                raise SettingsError(f"mdeprereq:connectivity:urls: {url!r} is not an https:// URL")
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
    issuers = value.get("expected_issuers")
    if issuers is not None:
        if (
            isinstance(issuers, str)
            or not isinstance(issuers, list)
            or not all(isinstance(i, str) for i in issuers)
        ):
            raise SettingsError(
                "mdeprereq:connectivity:expected_issuers must be a list of organization names, "
                f"got {issuers!r}"
            )
        result["expected_issuers"] = list(issuers)
    return result


WAIVED_WITHOUT_REASON = "waived by mdeprereq:ignore"


def waivers(value, key="mdeprereq:ignore"):
    """``{check ID: reason}`` from a list of IDs, a comma-separated string or a mapping."""
    from .checks import CHECKS  # noqa: PLC0415 - checks does not import settings; avoid a cycle

    if value is None or value in ("", []):
        return {}
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise SettingsError(f"{key} must list check IDs, got {value!r}")
        value = dict.fromkeys(value, WAIVED_WITHOUT_REASON)
    if not isinstance(value, dict):
        raise SettingsError(f"{key} must be a list of check IDs or a mapping ID -> reason")
    unknown = [check_id for check_id in value if check_id not in CHECKS]
    if unknown:
        raise SettingsError(
            f"{key}: unknown check(s) {', '.join(map(str, unknown))}; known: {', '.join(CHECKS)}"
        )
    return {check_id: str(reason or WAIVED_WITHOUT_REASON) for check_id, reason in value.items()}


def _choice(key, value, choices, default):
    if value is None:
        return default
    if value not in choices:
        raise SettingsError(f"{key} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _fanotify_conflict(value):
    return _choice("mdeprereq:fanotify_conflict", value, FANOTIFY_CONFLICT_POLICIES, "passive")


def _channel(value):
    from .repos import CHANNELS  # noqa: PLC0415 - repos imports checks, which is heavier

    return _choice("mdeprereq:channel", value, CHANNELS, "prod")


def _url(key, value):
    if value is None:
        return None
    text = str(value)
    if not text.startswith(("https://", "http://", "file://", "salt://")) or any(
        character.isspace() for character in text
    ):
        raise SettingsError(f"{key} must be an http(s)://, file:// or salt:// URL, got {value!r}")
    return text.rstrip("/")


def _repo(value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(
            f"mdeprereq:repo must be a mapping (url, key_url, trusted), got {value!r}"
        )
    trusted = value.get("trusted", False)
    if not isinstance(trusted, bool):
        raise SettingsError(f"mdeprereq:repo:trusted must be true or false, got {trusted!r}")
    return {
        "repo_url": _url("mdeprereq:repo:url", value.get("url")),
        "repo_key_url": _url("mdeprereq:repo:key_url", value.get("key_url")),
        "repo_trusted": trusted,
        # a mirror's own key (rpm families: checked before rpm --import, see rpmkeys.py)
        "repo_key_fingerprint": _fingerprint(value.get("key_fingerprint")),
    }


def _fingerprint(value):
    if value is None:
        return None
    from .rpmkeys import KeyError_, normalize  # noqa: PLC0415 - small, only with the setting

    try:
        return normalize(value)
    except KeyError_ as exc:
        raise SettingsError(f"mdeprereq:repo:key_fingerprint: {exc}") from exc
