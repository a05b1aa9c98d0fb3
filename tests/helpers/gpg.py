"""Throwaway OpenPGP signing keys for the stand-in repositories (``tests/e2e/apt_repo.py``,
``tests/rpm/rpm_repo.py``): each in a private GNUPGHOME of its own, never the user's keyring."""

import pathlib
import shutil
import subprocess
import tempfile


class ThrowawayKey:
    """A new signing key (``algorithm``, user id ``uid``) in a private GNUPGHOME directly under
    the temp dir (gpg-agent's socket path must be short); ``close()`` stops its agent
    (``gpgconf --kill``) and removes the home. ``gpg(*args)`` runs gpg on that home; a subclass
    may run it its own way."""

    def __init__(self, uid, algorithm, prefix):
        self.uid = uid
        self.home = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
        self.home.chmod(0o700)
        try:
            self.gpg("--quick-gen-key", uid, algorithm, "sign", "never")
            listing = self.gpg("--with-colons", "--list-secret-keys").stdout
            self.fingerprint = next(
                line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
            )
        except BaseException:
            self.close()
            raise

    def gpg(self, *args):
        return subprocess.run(
            ["gpg", "--homedir", str(self.home), "--batch", "--no-tty", "--passphrase", "", *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def close(self):
        subprocess.run(
            ["gpgconf", "--homedir", str(self.home), "--kill", "all"],
            check=False,
            capture_output=True,
            timeout=30,
        )
        shutil.rmtree(self.home, ignore_errors=True)
