"""Signed RPM repositories laid out like packages.microsoft.com, holding a TEST DOUBLE of mdatp.

THE ``mdatp`` RPM BUILT HERE IS NOT MICROSOFT'S PRODUCT: it is a stand-in with the real
package's name, version scheme (``mdatp-101.X.Y``, mde-facts.md "Pinned package strings") and
paths (``/usr/bin/mdatp``, ``/opt/microsoft/mdatp/sbin/wdavdaemon``, ``mdatp.service``,
``/etc/opt/microsoft/mdatp``), whose ``/usr/bin/mdatp`` is the same CLI script as the Debian
double's (``tests/e2e/fake_mdatp.cli_script``). Its scriptlets do what the Debian double's
maintainer scripts do (create the ``mdatp`` system user unless one exists; on erase remove what
the product makes at run time). The real package and cloud can't be reached from here.

Everything is built on the host with Debian's real tools: ``rpmbuild`` and ``rpmsign`` (Debian's
``rpm`` package), ``createrepo_c`` (``createrepo-c``) and ``gpg`` (``gnupg``), with throwaway
keys in private GNUPGHOMEs whose agents are stopped at the end. The layout under the served root
is the one the engine's ``mdeprereq.repository`` names (``rhel/9/prod/``, ``sles/15/prod/``,
``keys/microsoft.asc``, ...): the tests ask the engine and publish there, so they follow it::

    <path>/Packages/m/mdatp-<version>-1.x86_64.rpm      signed (or not, on request)
    <path>/repodata/repomd.xml{,.asc}                    createrepo_c; detached armored signature
    keys/microsoft.asc, keys/microsoft-2025.asc          the public keys, ASCII-armored
"""

import atexit
import contextlib
import functools
import http.server
import pathlib
import shutil
import subprocess
import tempfile
import threading
import urllib.parse

from tests.e2e import fake_mdatp
from tests.helpers.gpg import ThrowawayKey

LOOPBACK = "127.0.0.1"
ARCH = "x86_64"
TOOLS = ("rpmbuild", "rpmsign", "createrepo_c", "gpg", "gpgconf")
# rpmbuild on Debian: no debuginfo/build-id post-processing (a script-only package), and
# Debian's %__gpg points at a missing gpg2 (the pitfalls)
RPMBUILD_DEFINES = {
    "__os_install_post": "%{nil}",
    "_build_id_links": "none",
    "debug_package": "%{nil}",
    "_binary_payload": "w9.gzdio",
    "__gpg": "/usr/bin/gpg",
}

SPEC = """\
Name: @NAME@
Version: @VERSION@
Release: @RELEASE@
Summary: @SUMMARY@
License: none (TEST DOUBLE, no Microsoft code)
BuildArch: @ARCH@
AutoReqProv: no
@REQUIRES@
@PROVIDES@

%description
@DESCRIPTION@

%install
cp -a @TREE@/. %{buildroot}/

%files
@FILES@

@SCRIPTS@
"""

# Scriptlets of the mdatp stand-in: the essentials of tests/e2e/fake_mdatp.py's postinst/postrm
# in RPM terms (%post runs with $1=1 on install, 2 on upgrade; %postun with $1=0 on erase)
MDATP_SCRIPTS = """\
%post
# TEST DOUBLE (mdeprereq test suite), not Microsoft's script: the mdatp system user with ids the
# system picks, unless the admin created one first; an existing mdatp group becomes its group
if ! getent passwd mdatp >/dev/null; then
    if getent group mdatp >/dev/null; then
        useradd --system --no-create-home --gid mdatp --shell /usr/sbin/nologin mdatp
    else
        useradd --system --no-create-home --user-group --shell /usr/sbin/nologin mdatp
    fi
fi
exit 0

%postun
# TEST DOUBLE: on erase, what the product makes at run time goes; the admin's files under
# /etc/opt/microsoft/mdatp and the mdatp user stay
if [ "$1" = 0 ]; then
    rm -rf /opt/microsoft/mdatp /var/opt/microsoft/mdatp
    rmdir /opt/microsoft /var/opt/microsoft 2>/dev/null || true
fi
exit 0
"""


def _run(argv, **kwargs):
    # a private HOME: Debian's rpm would otherwise keep a database under the host's ~/.rpmdb
    kwargs.setdefault("env", {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": _private_home()})
    done = subprocess.run(
        [str(arg) for arg in argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kwargs,
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{done.stderr or done.stdout}")
    return done


@functools.cache
def _private_home():
    home = tempfile.mkdtemp(prefix="rpm-home-")
    atexit.register(shutil.rmtree, home, True)
    return home


class SigningKey(ThrowawayKey):
    """A throwaway RSA key (rpm signs with it) whose gpg runs with a private HOME and PATH
    (``_run``) and a loopback pinentry; ``armored`` is its public key."""

    def __init__(self, uid):
        super().__init__(uid, "rsa2048", "rpmgpg-")
        try:
            self.armored = self.gpg("--armor", "--export", self.fingerprint).stdout
        except BaseException:
            self.close()
            raise

    def gpg(self, *args):
        return _run(
            [
                *("gpg", "--homedir", self.home, "--batch", "--no-tty"),
                *("--pinentry-mode", "loopback", "--passphrase", "", *args),
            ]
        )

    @property
    def rpm_version(self):
        """What rpm names the key: ``gpg-pubkey-<last 8 hex of the fingerprint, lower case>``."""
        return self.fingerprint[-8:].lower()

    def sign_rpm(self, path):
        _run(
            [
                "rpmsign",
                "--addsign",
                "--define",
                f"_gpg_name {self.fingerprint}",
                "--define",
                f"_gpg_path {self.home}",
                "--define",
                "__gpg /usr/bin/gpg",
                path,
            ]
        )

    def sign_detached(self, path):
        self.gpg("--yes", "--armor", "--detach-sign", "--output", f"{path}.asc", path)


def build_rpm(
    out_dir,
    name,
    version,
    *,
    release="1",
    summary,
    description,
    files=None,
    requires=(),
    provides=(),
    scripts="",
):
    """Build ``<name>-<version>-<release>.<arch>.rpm`` into ``out_dir`` with rpmbuild; ``files``
    maps absolute paths to ``(text, mode)`` (a text of None: a directory). Returns its path."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rpmbuild-") as tmp:
        top, tree = pathlib.Path(tmp) / "top", pathlib.Path(tmp) / "tree"
        tree.mkdir(parents=True)
        listed = []
        for path, (text, mode) in (files or {}).items():
            target = tree / path.lstrip("/")
            if text is None:
                target.mkdir(parents=True, exist_ok=True)
                listed.append(f"%dir {path}")
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(text, bytes):
                    target.write_bytes(text)  # the compiled stand-in daemon
                else:
                    target.write_text(text)
                listed.append(path)
            target.chmod(mode)
        spec_text = (
            SPEC.replace("@NAME@", name)
            .replace("@VERSION@", version)
            .replace("@RELEASE@", release)
            .replace("@SUMMARY@", summary)
            .replace("@ARCH@", ARCH)
            .replace("@REQUIRES@", "\n".join(f"Requires: {r}" for r in requires))
            .replace("@PROVIDES@", "\n".join(f"Provides: {p}" for p in provides))
            .replace("@DESCRIPTION@", description)
            .replace("@TREE@", str(tree))
            .replace("@FILES@", "\n".join(listed))
            .replace("@SCRIPTS@", scripts)
        )
        spec = pathlib.Path(tmp) / f"{name}.spec"
        spec.write_text(spec_text)
        defines = {**RPMBUILD_DEFINES, "_topdir": str(top)}
        argv = ["rpmbuild", "-bb", "--target", ARCH, "--nodeps"]
        for key, value in defines.items():
            argv += ["--define", f"{key} {value}"]
        _run([*argv, spec], env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": tmp})
        built = next((top / "RPMS").rglob("*.rpm"))
        final = out_dir / built.name
        shutil.move(built, final)
    return final


def build_mdatp(out_dir, version, release="1", release_ring="Production"):
    """The mdatp TEST DOUBLE as an RPM (``mdatp-<version>-<release>.x86_64.rpm``)."""
    app_version = version.split("_", 1)[0]
    files = {
        "/usr/bin/mdatp": (fake_mdatp.cli_script(app_version, release_ring), 0o755),
        "/opt/microsoft/mdatp/sbin/wdavdaemon": (fake_mdatp.daemon_bytes(), 0o755),
        "/usr/lib/systemd/system/mdatp.service": (fake_mdatp.SERVICE_UNIT, 0o644),
        "/etc/opt/microsoft/mdatp": (None, 0o755),
    }
    return build_rpm(
        out_dir,
        "mdatp",
        version,
        release=release,
        summary="TEST DOUBLE of Microsoft Defender for Endpoint - NOT Microsoft's product",
        description=fake_mdatp.DESCRIPTION.split("\n", 1)[1].replace("\n .\n", "\n\n"),
        files=files,
        requires=("glibc",),
        scripts=MDATP_SCRIPTS,
    )


def build_standin(out_dir, name, version, provides=(), note=""):
    """An empty stand-in for a distribution package (``rocky-release``, ``glibc``, ...): the
    chroot's real files are Debian's, this only tells rpm/dnf/zypper what the persona has."""
    return build_rpm(
        out_dir,
        name,
        version,
        summary=f"TEST DOUBLE stand-in for the distribution's {name} (mdeprereq tests)",
        description=f"Empty stand-in for {name} in a test persona. {note}".strip(),
        files={f"/usr/share/mdeprereq-standin/{name}": (f"stand-in {name}\n", 0o644)},
        provides=provides,
    )


def publish(repo_dir, rpms, key=None, *, sign_packages=True):
    """A createrepo_c repository in ``repo_dir`` holding ``rpms`` under ``Packages/<letter>/``;
    with ``key``: packages signed (unless ``sign_packages`` is false) and ``repomd.xml.asc``."""
    repo_dir = pathlib.Path(repo_dir)
    shutil.rmtree(repo_dir, ignore_errors=True)
    for rpm in rpms:
        target = repo_dir / "Packages" / rpm.name[0] / rpm.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(rpm, target)
        if key and sign_packages:
            key.sign_rpm(target)
    _run(["createrepo_c", "--quiet", "--general-compress-type=gz", repo_dir])
    if key:
        key.sign_detached(repo_dir / "repodata/repomd.xml")
    return repo_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; also answers a forward proxy's absolute-URI requests (``GET http://host/p``)
    from the same root, and records every request line in ``requests`` when given one."""

    requests = None

    def translate_path(self, path):
        if "://" in path.split("?", 1)[0]:
            path = urllib.parse.urlsplit(path).path
        return super().translate_path(path)

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        if self.requests is not None:
            self.requests.append(self.requestline)


@contextlib.contextmanager
def served(root, requests=None):
    """Serve ``root`` on http://127.0.0.1:<free port>; yields the base URL. With a list as
    ``requests``, every request line is appended to it (a stand-in forward proxy's log)."""
    handler_class = type("Handler", (_QuietHandler,), {"requests": requests})
    handler = functools.partial(handler_class, directory=str(root))
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
