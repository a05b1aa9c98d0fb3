"""Microsoft's package repository for a distribution, version and channel, and the pinned
package strings of mdatp. An unsupported version is refused with its reason, never mapped onto
another release's repository (the public installer once sent unknown Ubuntu releases to 18.04's).
"""

from packaging.version import InvalidVersion, Version

from . import data
from .support import support_verdict_for

CHANNELS = ("prod", "insiders-fast", "insiders-slow")
DEFAULT_BASE_URL = "https://packages.microsoft.com"
KEY_PATH = "keys/microsoft.asc"
KEY_2025_PATH = "keys/microsoft-2025.asc"
KEY_FINGERPRINT = "BC528686B50D79E339D3721CEB3E94ADBE1229CF"

# Releases that need Microsoft's 2025 key (os-release ID -> first major version); RHEL 10 and
# its rebuilds: mde-facts.md, December 2026 corrections ("Key microsoft-2025.asc ...")
KEY_2025_FROM = {"debian": 13, "sles": 16, "fedora": 43}
KEY_2025_FROM.update(dict.fromkeys(("rhel", "centos", "ol", "rocky", "almalinux"), 10))
# Releases whose apt keeps the key as a signed-by keyring (older: /etc/apt/trusted.gpg.d)
SIGNED_BY_FROM = {"debian": Version("12"), "ubuntu": Version("24.04")}
SIGNED_BY_KEYRING = "/usr/share/keyrings/microsoft-prod.gpg"
TRUSTED_GPG_D_KEYRING = "/etc/apt/trusted.gpg.d/microsoft-prod.gpg"
APT_LIST_FILE = "/etc/apt/sources.list.d/microsoft-prod.list"
RPM_REPO_FILES = {
    "yum": "/etc/yum.repos.d/microsoft-prod.repo",
    "dnf": "/etc/yum.repos.d/microsoft-prod.repo",
    "zypper": "/etc/zypp/repos.d/microsoft-prod.repo",
}
CODENAMES = {
    ("debian", "9"): "stretch",
    ("debian", "10"): "buster",
    ("debian", "11"): "bullseye",
    ("debian", "12"): "bookworm",
    ("debian", "13"): "trixie",
    ("ubuntu", "16.04"): "xenial",
    ("ubuntu", "18.04"): "bionic",
    ("ubuntu", "20.04"): "focal",
    ("ubuntu", "22.04"): "jammy",
    ("ubuntu", "24.04"): "noble",
    ("ubuntu", "26.04"): "resolute",
}
APT_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
# Mariner has no repository path: its own packages add Microsoft's extras repositories
MARINER_REPO_PACKAGES = {
    "prod": "mariner-repos-extras",
    "insiders-slow": "mariner-repos-extras-preview",
}
# Pinned package strings: suffix of the version per channel and family
VERSION_SUFFIX = {
    "debian": {"prod": "", "insiders-fast": "-insiderfast", "insiders-slow": "-external"},
    "rpm": {"prod": "", "insiders-fast": "_insiderfast-1", "insiders-slow": "_external-1"},
}


class RepositoryError(ValueError):
    """No Microsoft repository fits (unsupported distribution, version or channel)."""


def _major_minor(version):
    parts = str(version).split(".")
    return parts[0], parts[1] if len(parts) > 1 else None


def repo_path(os_id, version):
    """Microsoft's path for a release, e.g. ``rhel/9``, ``debian/12``, ``ubuntu/22.04``."""
    major, minor = _major_minor(version)
    if os_id in ("rhel", "centos", "ol"):
        if major == "7":
            # 7.2 to 7.9 share one repository
            return "rhel/7.2"
        return f"rhel/{major}"
    if os_id == "almalinux":
        return f"alma/{major}"
    if os_id == "rocky":
        return f"rocky/{major}"
    if os_id == "amzn":
        return f"amazonlinux/{major}"
    if os_id in ("fedora", "sles", "debian"):
        return f"{os_id}/{major}"
    if os_id == "ubuntu":
        return f"ubuntu/{major}.{minor}" if minor else f"ubuntu/{major}"
    raise RepositoryError(f"Microsoft publishes no repository for {os_id}")


def _key_url(base_url, os_id, version):
    major = int(_major_minor(version)[0]) if _major_minor(version)[0].isdigit() else 0
    first_2025 = KEY_2025_FROM.get(os_id)
    path = KEY_2025_PATH if first_2025 is not None and major >= first_2025 else KEY_PATH
    return f"{base_url}/{path}"


def repository(
    os_id, version, arch, matrix, *, channel="prod", base_url=None, key_url=None, trusted=False
):
    """Microsoft's repository for this release, as the states apply it.

    :param matrix: the support matrix (settings): an unsupported release is refused
    :param base_url: replaces ``https://packages.microsoft.com`` (a mirror with the same layout)
    :param key_url: replaces the key's URL
    :param trusted: an unsigned internal mirror: no key, apt's ``[trusted=yes]``/``gpgcheck=0``
    :raises RepositoryError: with the reason, when no repository fits
    """
    if channel not in CHANNELS:
        raise RepositoryError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    supported, reason, _facts = support_verdict_for(os_id, version, arch, matrix)
    if not supported:
        raise RepositoryError(f"refusing to add Microsoft's repository: {reason}")
    base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    family = data.FAMILY_BY_OS_ID.get(os_id)
    manager = data.PACKAGE_MANAGER_BY_OS_ID.get(os_id)
    if manager == "dnf" and data.YUM_RELEASES.get(os_id) == _major_minor(version)[0]:
        manager = "yum"
    result = {
        "os": os_id,
        "version": str(version),
        "arch": arch,
        "channel": channel,
        "family": family,
        "manager": manager,
        "trusted": bool(trusted),
    }
    if os_id == "mariner":
        package = MARINER_REPO_PACKAGES.get(channel)
        if package is None:
            raise RepositoryError(f"Mariner has no {channel} channel (prod, insiders-slow)")
        result["packages"] = [package]
        return result
    path = f"{repo_path(os_id, version)}/{channel}"
    url = f"{base_url}/{path}"
    key = None if trusted else (key_url or _key_url(base_url, os_id, version))
    result.update({"path": path, "url": url, "key_url": key})
    if family == "debian":
        codename = CODENAMES.get((os_id, str(version)))
        if codename is None:
            raise RepositoryError(f"no codename known for {os_id} {version}")
        try:
            signed_by_here = Version(str(version)) >= SIGNED_BY_FROM[os_id]
        except InvalidVersion:
            signed_by_here = True
        keyring = SIGNED_BY_KEYRING if signed_by_here else TRUSTED_GPG_D_KEYRING
        options = [f"arch={APT_ARCH.get(arch, arch)}"]
        options.append("trusted=yes" if trusted else f"signed-by={keyring}")
        result.update(
            {
                "keyring": None if trusted else keyring,
                "file": APT_LIST_FILE,
                "line": f"deb [{' '.join(options)}] {url} {codename} main",
                "codename": codename,
            }
        )
        return result
    repo_id = "packages-microsoft-com-prod" + ("" if channel == "prod" else f"-{channel}")
    result.update(
        {
            "name": repo_id,
            "humanname": repo_id,
            "baseurl": url + "/",
            "gpgcheck": 0 if trusted else 1,
            "gpgkey": key,
            "file": RPM_REPO_FILES.get(manager),
        }
    )
    return result


def package_version(family, channel, version):
    """The version string pinning mdatp ``version`` on ``family`` in ``channel`` (None: newest)."""
    if not version:
        return None
    suffixes = VERSION_SUFFIX["debian" if family == "debian" else "rpm"]
    return f"{version}{suffixes.get(channel, '')}"
