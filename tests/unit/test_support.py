"""support.specifier_contains: the grain's fast path for plain releases must give exactly the
answer of packaging's SpecifierSet, which decides everything else."""

import itertools

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from mdeprereq_engine import data
from mdeprereq_engine.support import specifier_contains
from tests.unit.conftest import run_engine_code

MATRIX_SPECIFIERS = sorted(
    {spec for arches in data.SUPPORT_MATRIX.values() for specs in arches.values() for spec in specs}
)
# what admins may write under mdeprereq:support, plain or not
MORE_SPECIFIERS = [
    "!=12.*",
    "!=22.04",
    ">12",
    "<=9.4",
    ">= 8.4 , < 9",
    "==12.0.*",
    "==8.10",
    "~=9.2",
    "===12",
    ">=8.4rc1",
    "==12.*,!=12.5",
    "",
]
VERSIONS = [
    "0", "2", "2.0", "7", "7.2", "7.9", "7.10", "8", "8.0", "8.4", "8.7", "8.10", "9", "9.2",
    "9.4", "10", "11", "12", "12.0", "12.5", "12.0.1", "120", "15.5", "15.6", "16.04", "18.04",
    "22.04", "22.4", "24.04", "33", "42.99", "43", "2023", "2023.1.20240101",
    # not plain releases: always packaging's answer
    "12rc1", "8.4.post1", "v12", " 12", "9.4+local",
]  # fmt: skip


@pytest.mark.parametrize("specifier", MATRIX_SPECIFIERS + MORE_SPECIFIERS)
def test_same_answer_as_packaging(specifier):
    for version in VERSIONS:
        expected = Version(version) in SpecifierSet(specifier)
        assert specifier_contains(specifier, version) is expected, (specifier, version)


def test_every_pair_of_matrix_specifiers_combined():
    for first, second in itertools.combinations(MATRIX_SPECIFIERS, 2):
        combined = f"{first},{second}"
        for version in VERSIONS:
            expected = Version(version) in SpecifierSet(combined)
            assert specifier_contains(combined, version) is expected, (combined, version)


def test_not_a_version_raises_like_packaging():
    with pytest.raises(InvalidVersion):
        specifier_contains("==12.*", "bookworm/sid")


def test_the_matrix_is_decided_without_importing_packaging_specifiers():
    code = (
        "import sys\n"
        "from mdeprereq_engine import data\n"
        "from mdeprereq_engine.support import support_verdict_for\n"
        "for os_id, arches in data.SUPPORT_MATRIX.items():\n"
        "    support_verdict_for(os_id, '9.4', 'x86_64', data.SUPPORT_MATRIX)\n"
        "print('packaging.specifiers' in sys.modules)\n"
    )
    assert run_engine_code(code).strip() == "False"
