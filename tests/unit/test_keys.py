"""A repository key is trusted only when its fingerprint is the expected one. The keys are
throwaway keys made here with gpg (Microsoft's can't be fetched from this machine)."""

import pytest

from mdeprereq_engine import keys
from tests.e2e.apt_repo import SigningKey


@pytest.fixture(scope="module")
def two_keys(tmp_path_factory):
    first, second = SigningKey(), SigningKey()
    try:
        root = tmp_path_factory.mktemp("keys")
        yield (
            (first.fingerprint.upper(), first.export(root / "a.asc", armor=True)),
            (second.fingerprint.upper(), second.export(root / "b.asc", armor=True)),
        )
    finally:
        first.close()
        second.close()


def test_fingerprints_of_an_armored_and_a_binary_key(two_keys):
    (fingerprint, path), _ = two_keys
    armored = path.read_bytes()
    assert keys.fingerprints(armored) == [fingerprint]
    binary = keys.dearmor(armored)
    assert not binary.startswith(b"-----BEGIN")
    assert keys.fingerprints(binary) == [fingerprint]
    assert keys.dearmor(binary) == binary


def test_the_expected_key_is_returned(two_keys):
    (fingerprint, path), _ = two_keys
    assert keys.verified(path.as_uri(), fingerprint, name="microsoft.asc") == path.read_bytes()


def test_a_key_with_another_fingerprint_is_an_error_naming_both(two_keys):
    (expected, _), (other, other_path) = two_keys
    with pytest.raises(keys.KeyVerificationError) as error:
        keys.verified(other_path.as_uri(), expected, name="microsoft-2025.asc")
    message = str(error.value)
    assert other in message
    assert expected in message
    assert "mdeprereq:repo:fingerprints:microsoft-2025.asc" in message


def test_a_file_with_an_extra_key_is_not_trusted(two_keys, tmp_path):
    (expected, first), (_, second) = two_keys
    both = tmp_path / "both.asc"
    both.write_bytes(first.read_bytes() + second.read_bytes())
    with pytest.raises(keys.KeyVerificationError, match="expected " + expected):
        keys.verified(both.as_uri(), expected)


def test_not_a_key(tmp_path):
    page = tmp_path / "error.html"
    page.write_text("<html>404</html>")
    with pytest.raises(keys.KeyVerificationError, match=r"not an OpenPGP key|fingerprint none"):
        keys.verified(page.as_uri(), "BC528686B50D79E339D3721CEB3E94ADBE1229CF")


def test_unfetchable_urls(tmp_path):
    with pytest.raises(keys.KeyVerificationError, match="only http"):
        keys.fetch("ftp://example.invalid/key.asc")
    with pytest.raises(keys.KeyVerificationError, match="cannot fetch"):
        keys.fetch((tmp_path / "missing.asc").as_uri())


def test_an_oversized_key_is_refused(tmp_path):
    big = tmp_path / "big.asc"
    big.write_bytes(b"x" * (keys.MAX_KEY_BYTES + 1))
    with pytest.raises(keys.KeyVerificationError, match="larger than"):
        keys.fetch(big.as_uri())
