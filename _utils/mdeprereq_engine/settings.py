"""Settings: validate what the admin configured under ``mdeprereq:`` and merge it over defaults.

The Salt adapters read each key of :data:`KEYS` with ``config.get('mdeprereq:<key>')`` (minion
config, grains, pillar or master config) and hand the raw values here. Anything malformed raises
:class:`SettingsError` naming the key, before any check runs or anything changes.
"""

import copy
import posixpath

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from . import data
from .versions import parse_mdatp_version

# The keys the check engine reads (``mdeprereq:<key>``)
KEYS = ("support", "mdatp_version", "user", "install_path")

MAX_ID = 2**32 - 2  # (uid_t)-1 is reserved


class SettingsError(ValueError):
    """A setting under ``mdeprereq:`` is malformed; the message names the key."""


class Settings:
    """Validated settings with Microsoft's defaults filled in."""

    def __init__(self, support, mdatp_version, uid, gid, install_path):
        self.support = support
        self.mdatp_version = mdatp_version
        self.uid = uid
        self.gid = gid
        self.install_path = install_path

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
