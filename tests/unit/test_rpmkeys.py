"""mdeprereq_engine.rpmkeys: which key a file holds, which key is expected, rpm's name for it."""

import shutil
import subprocess

import pytest

from mdeprereq_engine import rpmkeys, settings

MICROSOFT = "BC528686B50D79E339D3721CEB3E94ADBE1229CF"


@pytest.fixture(scope="module")
def throwaway_keys(tmp_path_factory):
    """Two throwaway public keys (armored) and their fingerprints, from gpg."""
    if shutil.which("gpg") is None:
        pytest.fail("gpg is missing: tools/debian-packages.txt lists gnupg")
    home = tmp_path_factory.mktemp("gpg")
    home.chmod(0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--pinentry-mode", "loopback"]
    gpg += ["--passphrase", ""]
    keys = []
    try:
        for name in ("one", "two"):
            uid = f"rpmkeys test {name} <rpmkeys-{name}@example.invalid>"
            subprocess.run([*gpg, "--quick-gen-key", uid, "ed25519", "sign", "never"], check=True)
            listing = subprocess.run(
                [*gpg, "--with-colons", "--list-keys", uid],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            fpr = next(line.split(":")[9] for line in listing.splitlines() if line[:4] == "fpr:")
            armored = subprocess.run(
                [*gpg, "--armor", "--export", fpr], check=True, capture_output=True, text=True
            ).stdout
            keys.append((armored, fpr))
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)
    return keys


def test_expected_key_is_microsofts_by_file_name_unless_configured():
    base = "https://packages.microsoft.com/keys"
    assert rpmkeys.expected_key(f"{base}/microsoft.asc") == MICROSOFT
    assert rpmkeys.expected_key(f"{base}/microsoft-2025.asc") == "EE4D7792F748182B"
    assert rpmkeys.expected_key("https://mirror.example/keys/own.asc") is None
    configured = "0x1234 5678 9abc def0"
    assert rpmkeys.expected_key(f"{base}/microsoft.asc", configured) == "123456789ABCDEF0"


@pytest.mark.parametrize("bad", ["", "BC52", "Z" * 40, MICROSOFT + "00"])
def test_a_malformed_fingerprint_is_refused(bad):
    with pytest.raises(rpmkeys.KeyError_, match="not an OpenPGP fingerprint"):
        rpmkeys.normalize(bad)


def test_the_setting_is_validated_naming_the_key():
    with pytest.raises(settings.SettingsError, match="mdeprereq:repo:key_fingerprint"):
        settings._repo({"key_fingerprint": "nope"})
    assert settings._repo({"key_fingerprint": MICROSOFT.lower()})["repo_key_fingerprint"] == (
        MICROSOFT
    )


def test_check_key_accepts_only_the_expected_single_key(throwaway_keys):
    (one, one_fpr), (two, _two_fpr) = throwaway_keys
    assert rpmkeys.fingerprints(one) == [one_fpr]
    assert rpmkeys.check_key(one, one_fpr) == one_fpr
    assert rpmkeys.check_key(one, one_fpr[-16:]) == one_fpr  # a long key id
    with pytest.raises(rpmkeys.KeyError_, match=f"holds .*not the expected key {one_fpr}"):
        rpmkeys.check_key(two, one_fpr)
    with pytest.raises(rpmkeys.KeyError_, match="not the expected key"):
        rpmkeys.check_key(one + two, one_fpr)  # a second key in the file is refused too
    with pytest.raises(rpmkeys.KeyError_):
        rpmkeys.check_key("not a key", one_fpr)


def test_rpm_name_is_the_last_eight_hex_digits_in_lower_case():
    assert rpmkeys.rpm_name(MICROSOFT) == "gpg-pubkey-be1229cf"
