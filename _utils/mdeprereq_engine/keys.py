"""Fetch a repository signing key and check its fingerprint before anything trusts it.

The fingerprints to expect are Microsoft's (``repos.KEY_FINGERPRINTS``, from
microsoft/linux-package-repositories' README) unless ``mdeprereq:repo:fingerprints`` names
others (a mirror re-signed with its own key, or the test suite's throwaway keys). A key whose
fingerprint doesn't match is an error naming both. ``gpg`` reads the key in a private, temporary
home: nothing is imported into any keyring by the check.
"""

import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request

from .errors import MdeprereqError

MAX_KEY_BYTES = 256 * 1024
TIMEOUT = 30
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class KeyVerificationError(MdeprereqError):
    """A key could not be fetched, read, or has the wrong fingerprint."""


def fetch(url, timeout=TIMEOUT):
    """The bytes at ``url`` (http, https or file), at most MAX_KEY_BYTES."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "file"):
        raise KeyVerificationError(f"cannot fetch the key {url}: only http(s):// and file:// URLs")
    handlers = []
    if parts.hostname in LOOPBACK_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))  # a local mirror: never via a proxy
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=timeout) as response:
            body = response.read(MAX_KEY_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise KeyVerificationError(f"cannot fetch the key {url}: {exc}") from exc
    if len(body) > MAX_KEY_BYTES:
        raise KeyVerificationError(f"the key at {url} is larger than {MAX_KEY_BYTES} bytes")
    return body


def _gpg(home, *args, data):
    gpg = shutil.which("gpg") or shutil.which("gpg2")
    if gpg is None:
        raise KeyVerificationError(
            "gpg is not installed: it is needed to check the key's fingerprint"
        )
    try:
        return subprocess.run(
            [gpg, "--homedir", home, "--batch", "--no-tty", "--no-autostart", *args],
            input=data,
            capture_output=True,
            check=True,
            timeout=TIMEOUT,
        ).stdout
    except subprocess.CalledProcessError as exc:
        raise KeyVerificationError(
            exc.stderr.decode("utf-8", "replace").strip() or str(exc)
        ) from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KeyVerificationError(str(exc)) from exc


def fingerprints(key_bytes):
    """The primary-key fingerprints in ``key_bytes`` (armored or binary), upper case."""
    with tempfile.TemporaryDirectory(prefix="mdeprereq-gpg-") as home:
        listing = _gpg(home, "--with-colons", "--show-keys", data=key_bytes).decode()
    found, primary = [], False
    for line in listing.splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            primary = True
        elif fields[0] == "fpr" and primary:
            found.append(fields[9].upper())
            primary = False
        elif fields[0] == "sub":
            primary = False
    return found


def dearmor(key_bytes):
    """The binary form of an armored key (what apt's ``signed-by`` keyrings hold)."""
    if not key_bytes.lstrip().startswith(b"-----BEGIN PGP"):
        return key_bytes
    with tempfile.TemporaryDirectory(prefix="mdeprereq-gpg-") as home:
        return _gpg(home, "--dearmor", data=key_bytes)


def verified(url, expected, *, name=None, key_bytes=None):
    """Fetch ``url`` (unless ``key_bytes`` is given) and return its bytes when it holds exactly
    the key with fingerprint ``expected``; else raise :class:`KeyVerificationError` naming both."""
    key_bytes = fetch(url) if key_bytes is None else key_bytes
    try:
        found = fingerprints(key_bytes)
    except KeyVerificationError as exc:
        raise KeyVerificationError(f"the key at {url} is not an OpenPGP key: {exc}") from exc
    if found != [expected.upper()]:
        label = f" ({name})" if name else ""
        raise KeyVerificationError(
            f"the key at {url}{label} has fingerprint {', '.join(found) or 'none'}, expected "
            f"{expected.upper()}: not trusting it (a mirror with its own key sets "
            f"mdeprereq:repo:fingerprints:{name or '<key file>'})"
        )
    return key_bytes
