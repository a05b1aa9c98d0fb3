"""A local apt repository with packages.microsoft.com's layout, holding the mdatp TEST DOUBLE
(``fake_mdatp``), signed with throwaway keys and served over HTTP on the loopback only.

Microsoft's layout (MicrosoftDocs/defender-docs ``linux-install-manually.md``: "``deb [...]
https://packages.microsoft.com/ubuntu/18.04/prod insiders-fast main``"; microsoft/mdatp-xplat
``mde_installer.sh``: ``curl .../config/<distro>/<version>/<channel>.list``, then
``apt -t <channel> install mdatp``): one ``prod`` repository per release whose suites are the
codename (the prod channel), ``insiders-fast`` and ``insiders-slow``. Keys under ``keys/``
(microsoft/linux-package-repositories README): ``microsoft.asc`` signs the repositories created
before May 2025 (Debian 12 here), ``microsoft-2025.asc`` the newer ones; both are throwaway keys
here, with their own fingerprints (``MdatpRepo.fingerprints``), never Microsoft's.

Layout under the served root (``<url>`` replaces ``https://packages.microsoft.com``)::

    keys/microsoft.asc                 the key signing debian/12, ASCII-armored
    keys/microsoft-2025.asc            the second key (signs nothing in this tree)
    config/debian/12/<channel>.list    a source line for the channel, as Microsoft serves it
    debian/12/prod/pool/main/m/mdatp/mdatp_<version>_<arch>.deb     (every channel's builds)
    debian/12/prod/dists/<suite>/{Release,InRelease,Release.gpg}    suite: bookworm,
    debian/12/prod/dists/<suite>/main/binary-<arch>/Packages{,.gz}  insiders-fast, insiders-slow

The binary form of ``microsoft.asc`` (what ``gpg --dearmor`` makes of it, for ``signed-by``) is
written beside the served root, not in it.

``Packages`` comes from ``dpkg-scanpackages`` (dpkg-dev), ``Release`` is written here (MD5Sum,
SHA1, SHA256, SHA512 of every index), ``InRelease``/``Release.gpg`` come from ``gpg`` with a key
generated in a private GNUPGHOME (no passphrase; its gpg-agent is stopped afterwards). Besides
the machine's architecture, ``arm64`` and ``armhf`` get empty indexes, as the real repository
lists them, so Microsoft's ``arch=amd64,arm64,armhf`` source lines work unchanged.
"""

import contextlib
import dataclasses
import email.utils
import functools
import gzip
import hashlib
import http.server
import os
import pathlib
import shutil
import subprocess
import tempfile
import threading

from tests.e2e import fake_mdatp
from tests.helpers.gpg import ThrowawayKey

DISTRO = "debian"
RELEASE = "12"
CODENAME = "bookworm"
COMPONENT = "main"
LOOPBACK = "127.0.0.1"
# Channel -> suffix of the package version there (mde-facts.md: "Pinned package strings")
CHANNEL_SUFFIXES = {"prod": "", "insiders-fast": "-insiderfast", "insiders-slow": "-external"}
EXTRA_ARCHITECTURES = ("amd64", "arm64", "armhf")
KEYRING = "/usr/share/keyrings/microsoft-prod.gpg"
KEY_UID = "mdeprereq TEST DOUBLE apt repository (throwaway key) <mdeprereq-tests@example.invalid>"
KEY_NAMES = ("microsoft.asc", "microsoft-2025.asc")
RELEASE_HASHES = (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512"))


def suite(channel):
    """The apt suite of a channel in the prod repository: the codename for prod."""
    return CODENAME if channel == "prod" else channel


def package_version(version, channel):
    """The Debian version of product ``version`` in ``channel``: ``101.25042.0003`` in
    insiders-fast is ``101.25042.0003-insiderfast``."""
    return version + CHANNEL_SUFFIXES[channel]


class SigningKey(ThrowawayKey):
    """A throwaway ed25519 key (``KEY_UID``) that exports itself and signs a ``Release``."""

    def __init__(self):
        super().__init__(KEY_UID, "ed25519", "mdatp-gpg-")

    def export(self, path, *, armor):
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        options = ["--armor"] if armor else []
        self.gpg("--yes", "--output", str(path), *options, "--export", self.fingerprint)
        return path

    def sign_release(self, release):
        """``InRelease`` (clearsigned) and ``Release.gpg`` (detached) beside ``release``."""
        release = pathlib.Path(release)
        user = ["--yes", "--local-user", self.fingerprint, "--digest-algo", "SHA512"]
        self.gpg(
            *user, "--clearsign", "--output", str(release.with_name("InRelease")), str(release)
        )
        self.gpg(
            *user,
            "--armor",
            "--detach-sign",
            "--output",
            str(release.with_name("Release.gpg")),
            str(release),
        )


def _release_file(dist_dir, architectures, suite_name=CODENAME):
    """The text of ``dists/<suite>/Release`` for the indexes under ``dist_dir``."""
    indexes = sorted(
        path for path in dist_dir.rglob("*") if path.is_file() and path.parent != dist_dir
    )
    lines = [
        "Origin: mdeprereq-test-double",
        f"Label: TEST DOUBLE of packages.microsoft.com {DISTRO}/{RELEASE} (not Microsoft's)",
        f"Suite: {suite_name}",
        f"Codename: {suite_name}",
        f"Date: {email.utils.formatdate(usegmt=True)}",
        f"Architectures: {' '.join(architectures)}",
        f"Components: {COMPONENT}",
        "Description: mdeprereq test suite's stand-in for Microsoft's repository",
    ]
    for field, algorithm in RELEASE_HASHES:
        lines.append(f"{field}:")
        for path in indexes:
            content = path.read_bytes()
            digest = hashlib.new(algorithm, content).hexdigest()
            relative = path.relative_to(dist_dir).as_posix()
            lines.append(f" {digest} {len(content):>8} {relative}")
    return "\n".join(lines) + "\n"


def build_channel(repo_root, channel, debs, key, architecture):
    """One channel's builds in the shared pool of ``<root>/debian/12/prod``, its suite's
    indexes and signed Release (``dists/<suite>``)."""
    pool = repo_root / "pool" / COMPONENT / "m" / fake_mdatp.PACKAGE
    pool.mkdir(parents=True, exist_ok=True)
    names = []
    for deb in debs:
        shutil.copy2(deb, pool / pathlib.Path(deb).name)
        names.append(pathlib.Path(deb).name)
    # only this channel's builds in its suite's index (the pool holds every channel's)
    with tempfile.TemporaryDirectory(prefix="mdatp-scan-") as scan_root:
        scan_pool = pathlib.Path(scan_root) / "pool" / COMPONENT / "m" / fake_mdatp.PACKAGE
        scan_pool.mkdir(parents=True)
        for name in names:
            (scan_pool / name).symlink_to(pool / name)
        scan = subprocess.run(
            ["dpkg-scanpackages", "--multiversion", "--arch", architecture, "pool", "/dev/null"],
            cwd=scan_root,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )
    dist_dir = repo_root / "dists" / suite(channel)
    architectures = sorted({architecture, *EXTRA_ARCHITECTURES})
    for arch in architectures:
        index_dir = dist_dir / COMPONENT / f"binary-{arch}"
        index_dir.mkdir(parents=True, exist_ok=True)
        packages = scan.stdout.encode() if arch == architecture else b""
        (index_dir / "Packages").write_bytes(packages)
        (index_dir / "Packages.gz").write_bytes(gzip.compress(packages, mtime=0))
    release = dist_dir / "Release"
    release.write_text(_release_file(dist_dir, architectures, suite(channel)))
    key.sign_release(release)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files, logs nothing; records each request path on the server."""

    def log_message(self, format, *args):
        pass

    def send_head(self):
        self.server.requests.append(self.path)
        return super().send_head()


class _LoopbackServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client hanging up (apt does) is no news


class RepoServer:
    """``root`` over HTTP on 127.0.0.1, a free port, from a background thread."""

    def __init__(self, root):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self._server = _LoopbackServer((LOOPBACK, 0), handler)
        self._server.requests = []
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"mdatp-repo-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def requests(self):
        """Paths requested so far, in order."""
        return list(self._server.requests)

    def close(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=30)


@dataclasses.dataclass
class MdatpRepo:
    """What the ``mdatp_repo`` fixture yields."""

    url: str  # http://127.0.0.1:PORT: what replaces https://packages.microsoft.com
    key_url: str  # <url>/keys/microsoft.asc
    key_fingerprint: str  # 40 hex digits, upper case: microsoft.asc's (signs debian/12)
    armored_key_path: pathlib.Path  # <root>/keys/microsoft.asc
    binary_key_path: pathlib.Path  # beside <root>: microsoft.asc dearmored (for signed-by)
    versions: tuple  # product versions published in every channel, oldest first
    channels: tuple  # ("prod", "insiders-fast", ...)
    root: pathlib.Path  # the served directory
    architecture: str  # the packages' (this machine's) architecture
    codename: str = CODENAME
    # {"microsoft.asc": fingerprint, "microsoft-2025.asc": fingerprint}: the throwaway keys'
    # (what mdeprereq:repo:fingerprints gets, so the formula trusts them)
    fingerprints: dict = dataclasses.field(default_factory=dict)
    server: RepoServer = dataclasses.field(default=None, repr=False)

    def channel_url(self, channel="prod"):
        """``<url>/debian/12/prod``: the URI of every channel's source line (the channel is a
        suite of the prod repository)."""
        return f"{self.url}/{DISTRO}/{RELEASE}/prod"

    def suite(self, channel="prod"):
        """``bookworm`` for prod, else the channel (``insiders-fast``)."""
        return suite(channel)

    def dist_dir(self, channel="prod"):
        """``<root>/debian/12/prod/dists/<suite>``."""
        return self.root / DISTRO / RELEASE / "prod" / "dists" / suite(channel)

    def source_line(self, channel="prod", keyring=KEYRING):
        """``deb [signed-by=<keyring>] <url>/debian/12/prod <suite> main``"""
        return f"deb [signed-by={keyring}] {self.channel_url()} {suite(channel)} {COMPONENT}"

    def package_version(self, version, channel="prod"):
        """The Debian version to pin (``mdatp=<it>``) for product ``version`` in ``channel``."""
        return package_version(version, channel)

    def deb_path(self, version, channel="prod"):
        deb = f"{fake_mdatp.PACKAGE}_{package_version(version, channel)}_{self.architecture}.deb"
        return self.root / DISTRO / RELEASE / "prod" / "pool" / COMPONENT / "m" / "mdatp" / deb

    @property
    def requests(self):
        """Paths the server was asked for so far (to see that apt came here)."""
        return self.server.requests if self.server else []


@contextlib.contextmanager
def published_repo(root, versions, channels=("prod", "insiders-fast"), architecture=None):
    """Build the debs, the signed repository under ``root`` and serve it; yield a MdatpRepo.
    The server stops and the key's gpg-agent ends on exit, whatever happens."""
    root = pathlib.Path(root)
    architecture = architecture or fake_mdatp.host_architecture()
    unknown = set(channels) - set(CHANNEL_SUFFIXES)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)}; known: {sorted(CHANNEL_SUFFIXES)}")
    key, key_2025 = SigningKey(), None
    try:
        key_2025 = SigningKey()
        armored = key.export(root / "keys" / "microsoft.asc", armor=True)
        key_2025.export(root / "keys" / "microsoft-2025.asc", armor=True)
        binary = key.export(root.parent / f"{root.name}-microsoft.gpg", armor=False)
        fingerprints = {
            "microsoft.asc": key.fingerprint.upper(),
            "microsoft-2025.asc": key_2025.fingerprint.upper(),
        }
        with tempfile.TemporaryDirectory(prefix="mdatp-debs-") as build_dir:
            for channel in channels:
                debs = [
                    fake_mdatp.build_deb(
                        package_version(version, channel),
                        build_dir,
                        architecture=architecture,
                        release_ring=fake_mdatp.RELEASE_RINGS[channel],
                    )
                    for version in versions
                ]
                build_channel(root / DISTRO / RELEASE / "prod", channel, debs, key, architecture)
    finally:
        key.close()  # signing is done: no gpg-agent left running while the tests go on
        if key_2025 is not None:
            key_2025.close()
    server = RepoServer(root)
    try:
        repo = MdatpRepo(
            url=server.url,
            key_url=f"{server.url}/keys/microsoft.asc",
            key_fingerprint=key.fingerprint.upper(),
            armored_key_path=armored,
            binary_key_path=binary,
            versions=tuple(versions),
            channels=tuple(channels),
            root=root,
            architecture=architecture,
            fingerprints=fingerprints,
            server=server,
        )
        for channel in channels:  # Microsoft's config/<distro>/<version>/<channel>.list
            config = root / "config" / DISTRO / RELEASE / f"{channel}.list"
            config.parent.mkdir(parents=True, exist_ok=True)
            arches = ",".join(sorted({architecture, *EXTRA_ARCHITECTURES}))
            line = repo.source_line(channel).replace("[", f"[arch={arches} ", 1)
            config.write_text(line + "\n")
        yield repo
    finally:
        server.close()


def apt_get_isolated(repo, workdir, *args, channel="prod", source_line=None, timeout=120):
    """Run ``apt-get <args>`` against the repository only (``source_line``, default the
    channel's with the binary key as ``signed-by``), in a private apt state under ``workdir``
    (the machine's apt untouched; ``apt-get download`` saves into ``workdir``)."""
    workdir = pathlib.Path(workdir)
    for sub in ("lists/partial", "archives/partial", "etc/sources.list.d", "etc/preferences.d"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    (workdir / "status").touch()
    source = workdir / "etc" / "sources.list"
    source_line = source_line or repo.source_line(channel, keyring=repo.binary_key_path)
    source.write_text(source_line + "\n")
    options = {
        "Dir::State::Lists": workdir / "lists",
        "Dir::State::status": workdir / "status",
        "Dir::Cache": workdir,
        "Dir::Cache::archives": workdir / "archives",
        "Dir::Etc::SourceList": source,
        "Dir::Etc::SourceParts": workdir / "etc" / "sources.list.d",
        "Dir::Etc::Preferences": workdir / "etc" / "preferences",
        "Dir::Etc::PreferencesParts": workdir / "etc" / "preferences.d",
        "APT::Sandbox::User": "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody"),
        "Debug::NoLocking": "true",
        f"Acquire::http::Proxy::{LOOPBACK}": "DIRECT",
    }
    command = ["apt-get", "-q"]
    for name, value in options.items():
        command += ["-o", f"{name}={value}"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"},
        cwd=workdir,
        check=False,
    )
