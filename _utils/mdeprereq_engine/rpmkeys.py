"""OpenPGP keys in the RPM database: which key a file holds, and what rpm calls it.

zypper (and Salt 3008's ``zypperpkg``, which neither writes nor fetches a repository's
``gpgkey``) trusts a repository key only through ``--gpg-auto-import-keys`` with whatever
``repodata/repomd.xml.key`` the server publishes. The formula therefore imports Microsoft's key
itself with ``rpm --import``, after checking that the file holds exactly the expected key.
"""

import os
import subprocess
import tempfile

# Microsoft's repository keys by file name (mde-facts.md, "Repositories" and its December 2026
# corrections): microsoft.asc's full fingerprint; for microsoft-2025.asc the public sources give
# its 64-bit key id only.
KNOWN_KEYS = {
    "microsoft.asc": "BC528686B50D79E339D3721CEB3E94ADBE1229CF",
    "microsoft-2025.asc": "EE4D7792F748182B",
}


class KeyError_(ValueError):
    """The key file is not the expected key (or not a key at all)."""


def expected_key(key_url, configured=None):
    """The fingerprint (or long key id) the key at ``key_url`` must have: ``configured`` (a
    mirror's own key, ``mdeprereq:repo:key_fingerprint``) or Microsoft's for that file name."""
    if configured:
        return normalize(configured)
    known = KNOWN_KEYS.get(str(key_url or "").rstrip("/").rsplit("/", 1)[-1])
    return normalize(known) if known else None


def normalize(fingerprint):
    value = "".join(str(fingerprint).split()).upper().removeprefix("0X")
    if len(value) not in (16, 40) or any(char not in "0123456789ABCDEF" for char in value):
        raise KeyError_(f"not an OpenPGP fingerprint or long key id: {fingerprint!r}")
    return value


def fingerprints(armored):
    """The primary-key fingerprints in an OpenPGP key file's text, read with ``gpg --show-keys``
    in a throwaway home (nothing is imported anywhere)."""
    with tempfile.TemporaryDirectory(prefix="mdeprereq-gpg-") as home:
        os.chmod(home, 0o700)
        done = subprocess.run(
            ["gpg", "--homedir", home, "--batch", "--with-colons", "--show-keys"],
            input=armored,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    if done.returncode:
        raise KeyError_(f"gpg could not read the key: {done.stderr.strip()[-500:]}")
    found, primary = [], False
    for line in done.stdout.splitlines():
        fields = line.split(":")
        if fields[0] == "pub":
            primary = True
        elif fields[0] == "fpr" and primary:
            found.append(fields[9].upper())
            primary = False
        elif fields[0] == "sub":
            primary = False
    return found


def check_key(armored, expected):
    """The fingerprint of the single key in ``armored`` if it is ``expected`` (a fingerprint or
    a long key id); raises KeyError_ saying what the file holds otherwise."""
    found = fingerprints(armored)
    if len(found) != 1 or not found[0].endswith(expected):
        raise KeyError_(
            f"the key file holds {', '.join(found) or 'no key'}, not the expected key {expected}"
        )
    return found[0]


def rpm_name(fingerprint):
    """What rpm calls an imported key: ``gpg-pubkey-<last 8 hex digits, lower case>``."""
    return f"gpg-pubkey-{fingerprint[-8:].lower()}"
