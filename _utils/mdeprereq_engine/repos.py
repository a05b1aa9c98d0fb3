"""Microsoft's package repository for a distribution, version and channel, its signing keys, and
the pinned package strings of mdatp. An unsupported version is refused with its reason, never
mapped onto another release's repository (the public installer once sent unknown Ubuntu releases
to 18.04's).

Sources (public; the reviews in the project's reference folder cite them line by line):

- [docs] Microsoft, "Deploy Microsoft Defender for Endpoint on Linux manually"
  (MicrosoftDocs/defender-docs ``defender-endpoint/linux-install-manually.md``): the
  ``config/<distro>/<version>/<channel>.repo|.list`` table, the apt channel note
  ("``deb [...] https://packages.microsoft.com/ubuntu/18.04/prod insiders-fast main``"), the
  zypper listing with the aliases ``packages-microsoft-com-prod`` and
  ``packages-microsoft-com-insiders-fast``, Mariner's ``mariner-repos-extras`` and
  ``dnf config-manager --enable mariner-official-extras``.
- [installer] microsoft/mdatp-xplat ``linux/installation/mde_installer.sh`` v1.2.1
  (``refs/pull/226/head``): ``scale_version_id`` (RHEL/CentOS/OL 7.x -> 7, 8.x and every Fedora
  -> 8, RHEL/OL 9.x -> 9.0, Alma/Rocky 9.x -> 9, RHEL/CentOS 10 -> 10, SLES 12/15), the repo
  name ``packages-microsoft-com-<channel>`` (``-fast-prod``/``-slow-prod`` for CentOS 8
  insiders), ``apt -t <channel> install mdatp``, Mariner's enable/disable steps; and the later
  installer pull requests #245 (Rocky/Alma 10), #246 (SLES 16, Fedora 43 native ``fedora/<ver>``
  repository with the 2025 key, older Fedora stays on ``rhel/8``), #248 (openSUSE Leap -> the SLES
  repositories, CentOS 9 -> ``centos/9``).
- [pmc] microsoft/linux-package-repositories README, "Signature Verification": both keys with
  their fingerprints; the 2025 key "is associated with repositories created after April 2025,
  including RHEL 10, Debian 13, and Ubuntu 25.10"; issues #47 (maintainer, 2025-07-01), #272
  (Ubuntu 25.10 ``NO_PUBKEY EE4D7792F748182B``); microsoft/mdatp-xplat#191 (RHEL 10 mdatp fails
  ``rpm --checksig`` with ``microsoft.asc``).
- [pmp] packages-microsoft-prod's files: ``/etc/apt/sources.list.d/microsoft-prod.list``,
  ``/usr/share/keyrings/microsoft-prod.gpg`` (MichaIng/DietPi#7644),
  ``/etc/yum.repos.d/microsoft-prod.repo`` ``[packages-microsoft-com-prod]``
  (microsoft/linux-package-repositories#32). The formula never writes or deletes them: its own
  files are named ``mdeprereq-microsoft-*`` (see ``sources.py`` for what it does beside them).

Where docs and installer disagree, the row says which one was chosen and why.
"""

import dataclasses
import json
import re

from . import data
from .errors import MdeprereqError
from .support import package_manager, support_verdict_for

CHANNELS = ("prod", "insiders-fast", "insiders-slow")
DEFAULT_BASE_URL = "https://packages.microsoft.com"

# Microsoft's signing keys [pmc]: file name under <base>/keys/ -> primary key fingerprint
KEY_MICROSOFT = "microsoft.asc"
KEY_MICROSOFT_2025 = "microsoft-2025.asc"  # key id EE4D7792F748182B
KEY_FINGERPRINTS = {
    KEY_MICROSOFT: "BC528686B50D79E339D3721CEB3E94ADBE1229CF",
    KEY_MICROSOFT_2025: "AA86F75E427A19DD33346403EE4D7792F748182B",
}
KEY_PATH = f"keys/{KEY_MICROSOFT}"
KEY_2025_PATH = f"keys/{KEY_MICROSOFT_2025}"
KEY_FINGERPRINT = KEY_FINGERPRINTS[KEY_MICROSOFT]
OLD = (KEY_MICROSOFT,)
NEW = (KEY_MICROSOFT_2025,)
BOTH = (KEY_MICROSOFT, KEY_MICROSOFT_2025)  # a public source is uncertain: trust both

# The formula's own files (never packages-microsoft-prod's names) [pmp]
APT_LIST_FILE = "/etc/apt/sources.list.d/mdeprereq-microsoft-{channel}.list"
APT_KEYRING = "/usr/share/keyrings/mdeprereq-microsoft.gpg"
RPM_KEY_FILE = "/etc/pki/rpm-gpg/mdeprereq-{key}"
RPM_REPO_FILES = {
    "yum": "/etc/yum.repos.d/mdeprereq-microsoft-{channel}.repo",
    "dnf": "/etc/yum.repos.d/mdeprereq-microsoft-{channel}.repo",
    # zypper names the file after the alias: /etc/zypp/repos.d/<repo id>.repo
    "zypper": "/etc/zypp/repos.d/{name}.repo",
}
# packages-microsoft-prod's own files: read, never written or deleted [pmp]
FOREIGN_FILES = (
    "/etc/apt/sources.list.d/microsoft-prod.list",
    "/usr/share/keyrings/microsoft-prod.gpg",
    "/etc/apt/trusted.gpg.d/microsoft-prod.gpg",
    "/etc/yum.repos.d/microsoft-prod.repo",
    "/etc/zypp/repos.d/microsoft-prod.repo",
)

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
    ("ubuntu", "25.10"): "questing",
    ("ubuntu", "26.04"): "resolute",
}
APT_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
APT_COMPONENT = "main"

# Mariner has no repository path: packages of its own add Microsoft's extras repositories, which
# are then enabled with dnf's config-manager (dnf-plugins-core; prod also disables the preview
# repository) [docs, installer]
MARINER = {
    "prod": {
        "packages": ["dnf-plugins-core", "mariner-repos-extras"],
        "enable": ["mariner-official-extras"],
        "disable": ["mariner-official-extras-preview"],
    },
    "insiders-slow": {
        "packages": ["dnf-plugins-core", "mariner-repos-extras-preview"],
        "enable": ["mariner-official-extras-preview"],
        "disable": [],
    },
}


@dataclasses.dataclass(frozen=True)
class Row:
    """One release range's repository: ``os_id`` with major versions ``first`` to ``last``
    (None: open) uses ``path`` (``{major}``, ``{version}`` filled in) signed with ``keys``."""

    os_id: str
    first: int
    last: int | None
    path: str
    keys: tuple
    source: str
    # RPM repo ids where Microsoft's config file differs from packages-microsoft-com-<channel>
    ids: tuple = ()
    # other paths serving the same repository (an existing source there is the same source)
    aliases: tuple = ()

    def matches(self, os_id, major):
        return (
            os_id == self.os_id
            and self.first <= major
            and (self.last is None or major <= self.last)
        )


_CENTOS8_IDS = (
    ("insiders-fast", "packages-microsoft-com-fast-prod"),
    ("insiders-slow", "packages-microsoft-com-slow-prod"),
)
_RHEL7_IDS = (
    ("insiders-fast", "packages-microsoft-com-prod-insiders-fast"),
    ("insiders-slow", "packages-microsoft-com-prod-insiders-slow"),
)
_RHEL7 = (
    "docs' table says config/rhel/7.2; the installer scales every 7.x to rhel/7 and PMC's "
    "package index lists rhel/7/prod (the only public file seen under rhel/7.2/prod is "
    "mdatp 101.98.89): chose the installer's rhel/7"
)
_RHEL9 = (
    "docs list config/rhel/9; the installer uses rhel/9.0 for RHEL/OL (Alma/Rocky: 9); both "
    "exist: chose the docs' rhel/9, which PMC's package index lists"
)
_EL10 = "RHEL 10 repositories are signed with microsoft-2025.asc [pmc], mdatp-xplat#191"

# Every repository row; the first matching row wins
ROWS = (
    Row("rhel", 7, 7, "rhel/7", OLD, _RHEL7, _RHEL7_IDS),
    Row("rhel", 8, 8, "rhel/8", OLD, "docs and installer"),
    Row("rhel", 9, 9, "rhel/9", OLD, _RHEL9, aliases=("rhel/9.0",)),
    Row("rhel", 10, 10, "rhel/10", NEW, _EL10),
    Row("ol", 7, 7, "rhel/7", OLD, "Oracle Linux uses RHEL's repository; " + _RHEL7, _RHEL7_IDS),
    Row("ol", 8, 8, "rhel/8", OLD, "Oracle Linux uses RHEL's repository (docs, installer)"),
    Row(
        "ol",
        9,
        9,
        "rhel/9",
        OLD,
        "Oracle Linux uses RHEL's repository; " + _RHEL9,
        aliases=("rhel/9.0",),
    ),
    Row("ol", 10, 10, "rhel/10", NEW, "Oracle Linux uses RHEL's repository; " + _EL10),
    Row(
        "centos",
        7,
        7,
        "rhel/7",
        OLD,
        "docs: CentOS uses RHEL's repositories (the installer's centos/<ver> is used for Stream "
        "below); " + _RHEL7,
        _RHEL7_IDS,
    ),
    Row("centos", 8, 8, "rhel/8", OLD, "docs: CentOS uses RHEL's repositories"),
    Row(
        "centos-stream",
        8,
        8,
        "centos/8",
        OLD,
        "installer: CentOS (ID=centos) 8 -> centos/8, repo ids -fast-prod/-slow-prod",
        _CENTOS8_IDS,
    ),
    Row("centos-stream", 9, 9, "centos/9", OLD, "installer 1.2.6 (#248): centos/9, not 9.0"),
    Row("centos-stream", 10, 10, "centos/10", NEW, "installer (#207): centos/10; key: " + _EL10),
    Row("almalinux", 8, 9, "alma/{major}", OLD, "docs and installer"),
    Row("almalinux", 10, 10, "alma/10", NEW, "installer 1.2.3 (#245); key: " + _EL10),
    Row("rocky", 8, 9, "rocky/{major}", OLD, "docs and installer"),
    Row("rocky", 10, 10, "rocky/10", NEW, "installer 1.2.3 (#245); key: " + _EL10),
    Row("amzn", 2, 2, "amazonlinux/2", OLD, "docs and installer"),
    Row("amzn", 2023, 2023, "amazonlinux/2023", OLD, "docs and installer"),
    Row(
        "fedora",
        33,
        42,
        "rhel/8",
        OLD,
        "docs list only config/fedora/33 and 34; the installer sends every Fedora before 43 to "
        "rhel/8 (#246: 'older Fedora falls back to rhel/8'), where every channel exists: chose "
        "the installer",
    ),
    Row(
        "fedora",
        43,
        None,
        "fedora/{major}",
        NEW,
        "installer 1.2.4 (#246): Fedora 43+ native fedora/<ver> repository, microsoft-2025.asc",
    ),
    Row("sles", 12, 12, "sles/12", OLD, "docs and installer"),
    Row("sles", 15, 15, "sles/15", OLD, "docs and installer"),
    Row("sles", 16, 16, "sles/16", NEW, "installer 1.2.4 (#246): sles/16, microsoft-2025.asc"),
    Row(
        "opensuse-leap",
        15,
        15,
        "sles/15",
        OLD,
        "installer 1.2.6 (#248) maps Leap into the SLES family: sles/15",
    ),
    Row(
        "opensuse-leap",
        16,
        16,
        "sles/16",
        NEW,
        "installer 1.2.6 (#248): sles/16 (an opensuse/16/prod repository signed with the 2025 "
        "key also exists; the installer's choice was kept)",
    ),
    Row("debian", 9, 12, "debian/{major}", OLD, "docs and installer"),
    Row("debian", 13, 13, "debian/13", NEW, "docs; installer (#220) uses microsoft-2025.asc"),
    Row("ubuntu", 16, 24, "ubuntu/{version}", OLD, "docs and installer"),
    Row(
        "ubuntu",
        25,
        25,
        "ubuntu/{version}",
        NEW,
        "Ubuntu 25.10: microsoft-2025.asc [pmc], linux-package-repositories#272",
    ),
    Row(
        "ubuntu",
        26,
        None,
        "ubuntu/{version}",
        BOTH,
        "Ubuntu 26.04: signed with the 2025 key per shell-intune-samples#265/#279, but a "
        "maintainer's workaround in mdatp-xplat#232 imports microsoft.asc: trust both",
    ),
)


class RepositoryError(MdeprereqError):
    """No Microsoft repository fits (unsupported distribution, version or channel), or a
    setting of the repository is wrong."""


def _major_minor(version):
    parts = str(version).split(".")
    return parts[0], parts[1] if len(parts) > 1 else None


def _major(version):
    major = _major_minor(version)[0]
    return int(major) if major.isdigit() else -1


def row_for(os_id, version):
    """The :class:`Row` serving ``os_id`` ``version``, or raise :class:`RepositoryError`."""
    major = _major(version)
    for row in ROWS:
        if row.matches(os_id, major):
            return row
    if any(row.os_id == os_id for row in ROWS):
        raise RepositoryError(f"Microsoft publishes no repository for {os_id} {version}")
    raise RepositoryError(f"Microsoft publishes no repository for {os_id}")


def repo_path(os_id, version):
    """Microsoft's path for a release, e.g. ``rhel/9``, ``debian/12``, ``ubuntu/22.04``."""
    major, minor = _major_minor(version)
    full = f"{major}.{minor}" if minor else major
    return row_for(os_id, version).path.format(major=major, version=full)


def repo_id(os_id, version, channel):
    """The repo id (yum/dnf section, zypper alias) of Microsoft's config file for the channel."""
    return dict(row_for(os_id, version).ids).get(channel, f"packages-microsoft-com-{channel}")


def key_names(os_id, version):
    """The key files (under ``keys/``) that sign this release's repository."""
    return row_for(os_id, version).keys


def fingerprints_with(overrides=None):
    """Microsoft's fingerprints with ``overrides`` (``{key file name: fingerprint}``, from the
    setting ``mdeprereq:repo:fingerprints``: a mirror or a test's own keys) laid over them."""
    merged = dict(KEY_FINGERPRINTS)
    merged.update({name: normalize_fingerprint(value) for name, value in (overrides or {}).items()})
    return merged


def normalize_fingerprint(value):
    """``BC52 8686 ...`` -> ``BC528686...`` (40 or 64 hex digits), else ValueError."""
    text = re.sub(r"\s+", "", str(value)).upper()
    if not re.fullmatch(r"[0-9A-F]{40}|[0-9A-F]{64}", text):
        raise ValueError(f"not an OpenPGP fingerprint (40 or 64 hex digits): {value!r}")
    return text


def _keys(base_url, os_id, version, key_url, fingerprints):
    if key_url:
        name = key_url.rstrip("/").rsplit("/", 1)[-1]
        names_urls = [(name, key_url)]
    else:
        names_urls = [(name, f"{base_url}/keys/{name}") for name in key_names(os_id, version)]
    keys = []
    for name, url in names_urls:
        fingerprint = fingerprints.get(name)
        if fingerprint is None:
            raise RepositoryError(
                f"no fingerprint known for the key {name} ({url}): set "
                f"mdeprereq:repo:fingerprints:{name} to its fingerprint"
            )
        keys.append({"name": name, "url": url, "fingerprint": fingerprint})
    return keys


def repository(
    os_id,
    version,
    arch,
    matrix,
    *,
    channel="prod",
    base_url=None,
    key_url=None,
    trusted=False,
    fingerprints=None,
):
    """Microsoft's repository for this release, as the states apply it.

    :param matrix: the support matrix (settings): an unsupported release is refused
    :param base_url: replaces ``https://packages.microsoft.com`` (a mirror with the same layout)
    :param key_url: replaces the keys' URLs (one key; its file name picks its fingerprint)
    :param trusted: an unsigned internal mirror: no key, apt's ``[trusted=yes]``/``gpgcheck=0``
    :param fingerprints: ``{key file name: fingerprint}`` over Microsoft's (a test's own keys)
    :raises RepositoryError: with the reason, when no repository fits

    The mapping returned (``salt '*' mdeprereq.repository`` shows it; ``salt/mde/repo.sls``
    applies it) has, for every family: ``os``, ``version``, ``arch``, ``channel``, ``family``
    (``debian``, ``rpm``, ``mariner``), ``manager``, ``trusted``, ``install`` (extra arguments of
    ``pkg.installed`` selecting the channel: apt's target release ``fromrepo``, dnf/yum's
    ``enablerepo``, zypper's ``fromrepo``). Then per family:

    - debian and rpm: ``path`` (``debian/12/prod``), ``url``, ``source`` (why this row),
      ``keys`` (``[{name, url, fingerprint}]``, empty when trusted), ``key_url`` (the first).
    - debian: ``suite`` (the codename for prod, else the channel), ``codename``, ``component``,
      ``keyring`` (the formula's signed-by keyring), ``file`` (its own list file), ``line``.
    - rpm: ``name`` (Microsoft's repo id), ``humanname``, ``baseurl``, ``aliases`` (other
      baseurls of the same repository, e.g. the installer's ``rhel/9.0``), ``gpgcheck``,
      ``key_files`` (verified keys the formula writes), ``gpgkey`` (``file://`` URLs of them),
      ``file`` (the repository file the formula writes).
    - mariner: ``packages`` to install, ``enable`` and ``disable`` (repository ids).
    """
    if channel not in CHANNELS:
        raise RepositoryError(f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}")
    supported, reason, _facts = support_verdict_for(os_id, version, arch, matrix)
    if not supported:
        raise RepositoryError(f"refusing to add Microsoft's repository: {reason}")
    base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
    family = data.FAMILY_BY_OS_ID.get(os_id)
    manager = package_manager(os_id, version)
    result = {
        "os": os_id,
        "version": str(version),
        "arch": arch,
        "channel": channel,
        "family": family,
        "manager": manager,
        "trusted": bool(trusted),
        "install": {},
    }
    if os_id == "mariner":
        steps = MARINER.get(channel)
        if steps is None:
            raise RepositoryError(f"Mariner has no {channel} channel (prod, insiders-slow)")
        result.update({key: list(value) for key, value in steps.items()})
        return result
    row = row_for(os_id, version)
    path = f"{repo_path(os_id, version)}/prod" if family == "debian" else None
    path = path or f"{repo_path(os_id, version)}/{channel}"
    url = f"{base_url}/{path}"
    keys = (
        [] if trusted else _keys(base_url, os_id, version, key_url, fingerprints_with(fingerprints))
    )
    result.update(
        {
            "path": path,
            "url": url,
            "source": row.source,
            "keys": keys,
            "key_url": keys[0]["url"] if keys else None,
        }
    )
    if family == "debian":
        return _apt(result)
    name = repo_id(os_id, version, channel)
    key_files = [RPM_KEY_FILE.format(key=key["name"]) for key in keys]
    result.update(
        {
            "name": name,
            "humanname": name,
            "baseurl": url + "/",
            "aliases": [f"{base_url}/{alias}/{channel}/" for alias in row.aliases],
            "gpgcheck": 0 if trusted else 1,
            "key_files": key_files,
            "gpgkey": " ".join(f"file://{path}" for path in key_files) or None,
            "file": RPM_REPO_FILES[manager].format(channel=channel, name=name),
        }
    )
    if channel != "prod":
        # the installer: dnf/yum --enablerepo=<id>, zypper install <id>:mdatp
        result["install"] = {"fromrepo" if manager == "zypper" else "enablerepo": name}
    return result


def _apt(result):
    """``result`` (``repository()``'s common part, which says the release, channel and URL) with
    apt's source line and files."""
    os_id, version, channel = result["os"], result["version"], result["channel"]
    codename = CODENAMES.get((os_id, version))
    if codename is None:
        raise RepositoryError(f"no codename known for {os_id} {version}")
    # the insiders channels are suites of the prod repository [docs, installer]
    suite = codename if channel == "prod" else channel
    arch, trusted = result["arch"], result["trusted"]
    options = [f"arch={APT_ARCH.get(arch, arch)}"]
    # signed-by on every release (apt >= 1.1: Debian 9 has 1.4, Ubuntu 16.04 1.2), with the
    # formula's own binary keyring: the key is trusted for this source only, never host-wide
    options.append("trusted=yes" if trusted else f"signed-by={APT_KEYRING}")
    result.update(
        {
            "suite": suite,
            "codename": codename,
            "component": APT_COMPONENT,
            "keyring": None if trusted else APT_KEYRING,
            "file": APT_LIST_FILE.format(channel=channel),
            "line": f"deb [{' '.join(options)}] {result['url']} {suite} {APT_COMPONENT}",
        }
    )
    if channel != "prod":
        # apt -t insiders-fast install mdatp (the installer); a prod suite beside it would win
        # otherwise whenever its version is higher
        result["install"] = {"fromrepo": suite}
    return result


def package_version(family, channel, version):
    """The version string pinning mdatp ``version`` on ``family`` in ``channel`` (None: newest)."""
    if not version:
        return None
    suffixes = data.VERSION_SUFFIX["debian" if family == "debian" else "rpm"]
    return f"{version}{suffixes.get(channel, '')}"


# What mde.repo added, for mde.remove (which removes only that, never packages-microsoft-prod's)
RECORD_FILE = "/var/lib/mdeprereq/repository.json"
_OWN_DIRS = (
    "/etc/apt/sources.list.d",
    "/usr/share/keyrings",
    "/etc/pki/rpm-gpg",
    "/etc/yum.repos.d",
    "/etc/zypp/repos.d",
)
_OWN_NAME = re.compile(r"mdeprereq-[A-Za-z0-9._-]+|packages-microsoft-com-[a-z-]+\.repo")


def is_own_file(path):
    """Whether ``path`` is a name only the formula writes (its list, keyring, key and repository
    files; on zypper the file named after Microsoft's alias), never packages-microsoft-prod's."""
    directory, _, name = str(path).rpartition("/")
    if path in FOREIGN_FILES or directory not in _OWN_DIRS or not _OWN_NAME.fullmatch(name):
        return False
    return not name.startswith("packages-microsoft-com-") or directory == "/etc/zypp/repos.d"


def added_files(repo):
    """The files ``mde.repo`` writes for ``repo`` (a ``repository()`` result), for its record."""
    if repo.get("family") == "debian":
        return [path for path in (repo.get("file"), repo.get("keyring")) if path]
    if repo.get("family") == "rpm":
        return [repo["file"], *repo.get("key_files", [])]
    return []


def recorded_files(record_path=RECORD_FILE):
    """The formula's own files listed in the record at ``record_path`` (others are ignored)."""
    try:
        with open(record_path, encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return []
    files = record.get("files") if isinstance(record, dict) else None
    if not isinstance(files, list):
        return []
    return sorted({path for path in files if isinstance(path, str) and is_own_file(path)})
