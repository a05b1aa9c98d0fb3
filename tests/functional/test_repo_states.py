"""The repository key state and module through Salt's loader: a key is written only after its
fingerprint matched, only to a file of the formula's own name, and reported "already as
specified" the second time. The keys are throwaway keys (tests/e2e/apt_repo.SigningKey); the
key files live in a temporary directory (nothing of the machine changes)."""

import pytest

from tests.e2e.apt_repo import SigningKey

pytestmark = pytest.mark.usefixtures("loaders")


@pytest.fixture(scope="module")
def throwaway_keys(tmp_path_factory):
    first, second = SigningKey(), SigningKey()
    try:
        root = tmp_path_factory.mktemp("keys")
        first_path = first.export(root / "microsoft.asc", armor=True)
        second_path = second.export(root / "microsoft-2025.asc", armor=True)
        yield {
            "good": {
                "name": "microsoft.asc",
                "url": first_path.as_uri(),
                "fingerprint": first.fingerprint.upper(),
            },
            "other_fingerprint": second.fingerprint.upper(),
            "second": {
                "name": "microsoft-2025.asc",
                "url": second_path.as_uri(),
                "fingerprint": second.fingerprint.upper(),
            },
        }
    finally:
        first.close()
        second.close()


def test_key_trusted_writes_checked_keys_then_is_already_as_specified(
    loaders, throwaway_keys, tmp_path
):
    keyring = tmp_path / "mdeprereq-microsoft.gpg"
    keys = [throwaway_keys["good"], throwaway_keys["second"]]
    predicted = loaders.states.mdeprereq.key_trusted(
        name=str(keyring), keys=keys, binary=True, test=True
    )
    assert predicted.result is None
    assert "Would have written" in predicted.comment
    assert not keyring.exists()
    applied = loaders.states.mdeprereq.key_trusted(name=str(keyring), keys=keys, binary=True)
    assert applied.result is True, applied.comment
    assert applied.changes == {"fingerprints": [key["fingerprint"] for key in keys]}
    assert keyring.stat().st_mode & 0o777 == 0o644
    assert not keyring.read_bytes().startswith(b"-----BEGIN")  # dearmored for signed-by
    again = loaders.states.mdeprereq.key_trusted(name=str(keyring), keys=keys, binary=True)
    assert (again.result, again.changes) == (True, {})
    assert "already as specified" in again.comment


def test_a_key_with_another_fingerprint_fails_and_writes_nothing(loaders, throwaway_keys, tmp_path):
    keyring = tmp_path / "mdeprereq-microsoft.asc"
    wrong = {**throwaway_keys["good"], "fingerprint": throwaway_keys["other_fingerprint"]}
    ret = loaders.states.mdeprereq.key_trusted(name=str(keyring), keys=[wrong])
    assert ret.result is False
    assert throwaway_keys["good"]["fingerprint"] in ret.comment  # what the key has
    assert throwaway_keys["other_fingerprint"] in ret.comment  # what was expected
    assert not keyring.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/usr/share/keyrings/microsoft-prod.gpg",  # packages-microsoft-prod's
        "/etc/apt/trusted.gpg.d/microsoft-prod.gpg",
        "relative/mdeprereq-microsoft.gpg",
    ],
)
def test_never_writes_a_file_of_another_name(loaders, throwaway_keys, path):
    ret = loaders.states.mdeprereq.key_trusted(name=path, keys=[throwaway_keys["good"]])
    assert ret.result is False
    assert "not one of the formula's own files" in ret.comment


def test_repository_reports_what_it_adds_and_where_it_records_it(modules):
    repo = modules.mdeprereq.repository(os_id="debian", version="12", arch="x86_64")
    assert repo["supported"] is True
    assert repo["record"] == "/var/lib/mdeprereq/repository.json"
    assert repo["added_files"] == [
        "/etc/apt/sources.list.d/mdeprereq-microsoft-prod.list",
        "/usr/share/keyrings/mdeprereq-microsoft.gpg",
    ]
    assert repo["beside"]["action"] == "add"  # another release than this minion's: no scan
