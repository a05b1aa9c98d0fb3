"""The two set-up commands' own behaviour (README, "Set-up"), on this machine: the package list
the bootstrap reads, its errors (missing Debian packages when not root, a failed pip install),
and ``tools/check``'s default outputter (the table on a terminal, Salt's own into a pipe).

The error cases run a copy of ``tools/`` in a scratch repository, with a package list or a
requirements file that can't be satisfied, so they change nothing here and reach no network
(``PIP_NO_INDEX``)."""

import base64
import hashlib
import json
import os
import pathlib
import pty
import shutil
import subprocess
import tempfile
import zipfile

import pytest

from tests.conftest import CHECK_IDS, REPO_ROOT, is_root

NOBODY = 65534
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def debian_packages(*sections, repo=REPO_ROOT):
    """What the bootstrap itself reads from tools/debian-packages.txt for ``sections``."""
    done = subprocess.run(
        ["bash", "-c", 'source tools/bootstrap.sh && debian_packages "$@"', "-", *sections],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode, done.stdout.split(), done.stderr


@pytest.fixture
def scratch_repo():
    """A repository with this one's tools/ and requirements/ and nothing else, readable by
    ``nobody`` (pytest's tmp_path is not), removed at the end."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="mdeprereq-newcomer-"))
    try:
        path.chmod(0o755)
        for directory in ("tools", "requirements"):
            shutil.copytree(REPO_ROOT / directory, path / directory)
        yield path
    finally:
        shutil.rmtree(path)


def run_tool(repo, tool, *args, user=None, env=None):
    command = [str(repo / "tools" / tool), *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    environment = {"PATH": CLEAN_PATH, "HOME": str(repo), "LANG": "C.UTF-8", **(env or {})}
    return subprocess.run(
        command, cwd=repo, env=environment, capture_output=True, text=True, timeout=300, check=False
    )


def test_package_list_has_the_build_dependencies_and_the_tests_packages():
    status, check, stderr = debian_packages("check")
    assert status == 0, stderr
    # What Salt 3008's pip install needs on a bare Debian (timelib builds from its sdist)
    assert {"python3", "python3-venv", "gcc", "libc6-dev", "python3-dev"} <= set(check)
    status, test, stderr = debian_packages("test")
    assert status == 0, stderr
    assert {"debootstrap", "tinyproxy", "mitmproxy", "fapolicyd"} <= set(test)
    assert not set(check) & set(test), "a package belongs to one section"
    assert debian_packages("check", "test")[1] == check + test


def test_package_list_rejects_a_package_outside_any_section(scratch_repo):
    packages = scratch_repo / "tools/debian-packages.txt"
    packages.write_text("# a comment\ngcc\n[check]\npython3\n")
    status, listed, stderr = debian_packages("check", repo=scratch_repo)
    assert status == 2
    assert "debian-packages.txt:2: a package before any [section]" in stderr
    assert listed == []


def test_check_not_root_stops_naming_the_missing_packages(scratch_repo):
    (scratch_repo / "tools/debian-packages.txt").write_text(
        "[check]\npython3\nmdeprereq-no-such-package\n[test]\npython3\n"
    )
    done = run_tool(scratch_repo, "check", user=NOBODY if is_root() else None)
    assert done.returncode == 1, done.stderr
    assert (
        "error: missing Debian packages: mdeprereq-no-such-package. Install them as root "
        "(apt-get install --no-install-recommends mdeprereq-no-such-package), or run check as root"
    ) in done.stderr
    assert not (scratch_repo / ".venv").exists(), "nothing is built without the packages"


def test_test_not_root_stops_naming_the_missing_test_packages(scratch_repo):
    # .venv as built (its stamp says requirements/ is installed), so tools/test goes on to [test]
    (scratch_repo / "tools/debian-packages.txt").write_text(
        "[check]\npython3\n[test]\ndpkg\nmdeprereq-no-such-package\nmdeprereq-no-such-other\n"
    )
    (scratch_repo / ".venv/bin").mkdir(parents=True)
    (scratch_repo / ".venv/bin/python").symlink_to(shutil.which("python3", path=CLEAN_PATH))
    (scratch_repo / ".venv/.installed-tests.txt").write_text(
        "".join(path.read_text() for path in sorted((scratch_repo / "requirements").glob("*.txt")))
    )
    done = run_tool(scratch_repo, "test", user=NOBODY if is_root() else None)
    assert done.returncode == 1, done.stderr
    assert (
        "error: missing Debian packages: mdeprereq-no-such-package mdeprereq-no-such-other. "
        "Install them as root (apt-get install --no-install-recommends mdeprereq-no-such-package "
        "mdeprereq-no-such-other), or run test as root"
    ) in done.stderr
    assert "ruff" not in done.stderr, "nothing runs without the packages"


def test_a_failed_pip_install_stops_with_pips_error(scratch_repo):
    # Only packages every Debian has, so that no apt-get runs even as root
    (scratch_repo / "tools/debian-packages.txt").write_text("[check]\ndpkg\n[test]\ndpkg\n")
    (scratch_repo / "requirements/run.txt").write_text("mdeprereq-no-such-distribution==1.0\n")
    done = run_tool(scratch_repo, "check", env={"PIP_NO_INDEX": "1"})
    assert done.returncode == 1, done.stderr
    assert "No matching distribution found for mdeprereq-no-such-distribution" in done.stderr
    assert "error: pip install -r requirements/run.txt failed (its error is above)" in done.stderr
    assert "ModuleNotFoundError" not in done.stderr
    assert not (scratch_repo / ".venv/.installed-run.txt").exists(), "tried again next time"


def write_wheel(directory, name, version, command):
    """A pure-Python wheel of ``name`` with a console script ``command`` printing its name."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"def main():\n    print({command!r}, 'ran')\n",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: mdeprereq-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist_info}/entry_points.txt": f"[console_scripts]\n{command} = {module}:main\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(directory / f"{module}-{version}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


def test_a_package_debian_lacks_comes_from_its_pypi_fallback(scratch_repo):
    # A package no Debian has, with a PyPI fallback served from a local directory (no network);
    # as nobody when root, so that no apt-get runs here
    wheels = scratch_repo / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "mdeprereq-fake-tool", "1.0", "mdeprereq-fake-tool")
    (scratch_repo / "tools/debian-packages.txt").write_text(
        "[check]\ndpkg\n[test]\ndpkg\nmdeprereq-no-such-package pip:mdeprereq-fake-tool==1.0\n"
    )
    script = (
        "source tools/bootstrap.sh && install_debian_packages test && pip_tools_path && "
        "mdeprereq-fake-tool && command -v python3"
    )
    command = ["bash", "-c", script]
    if is_root():
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    environment = {
        "PATH": CLEAN_PATH,
        "HOME": str(scratch_repo),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
    }
    if is_root():
        shutil.chown(scratch_repo, NOBODY, NOBODY)  # nobody writes .local/pip-tools there
    for run in ("first", "second"):
        done = subprocess.run(
            command,
            cwd=scratch_repo,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0] == "mdeprereq-fake-tool ran", done.stdout
        # The fallback's bin/ comes last on PATH: its python3 does not replace the system's
        assert not done.stdout.splitlines()[1].startswith(str(scratch_repo)), done.stdout
        installing = "Debian has no mdeprereq-no-such-package package here: installing"
        assert (installing in done.stderr) is (run == "first"), done.stderr
    assert (scratch_repo / ".local/pip-tools/mdeprereq-no-such-package/.installed").exists()


def run_check_on_terminal(*args):
    """tools/check with a pseudo-terminal as its stdout (as a person runs it); its output."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(REPO_ROOT / "tools/check"), *args],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=terminal,
            stderr=subprocess.PIPE,
        )
    finally:
        os.close(terminal)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(controller)
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) in (0, 1), stderr
    return b"".join(chunks).decode()


def test_check_shows_the_table_on_a_terminal():
    output = run_check_on_terminal("checks=distro,kernel", "--no-color")
    lines = output.splitlines()
    assert lines[0].startswith("local: ") and "(" in lines[0], output
    assert lines[1].split() == ["STATUS", "CHECK", "MESSAGE", "FIX"], output
    assert {
        line.split()[1] for line in lines[2:] if line[:4] in ("PASS", "WARN", "FAIL", "SKIP")
    } >= {
        "distro",
        "kernel",
    }


def test_check_takes_the_outputter_asked_for_on_a_terminal():
    output = run_check_on_terminal("checks=distro", "--out=json")
    assert json.loads(output)["local"]["checks"]["distro"]["status"] in ("pass", "warn", "fail")
    output = run_check_on_terminal("checks=distro", "--out", "yaml")
    assert "status:" in output and "STATUS" not in output


def test_check_into_a_pipe_is_salts_default_and_exits_as_documented():
    # Every check but connectivity, which would probe Microsoft's servers (tests stay on loopback)
    checks = ",".join(check for check in CHECK_IDS if check != "connectivity")
    done = subprocess.run(
        [str(REPO_ROOT / "tools/check"), f"checks={checks}", "--out=json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    result = json.loads(done.stdout)["local"]
    assert set(result["checks"]) == set(CHECK_IDS) - {"connectivity"}
    assert done.returncode == (0 if result["ready"] else 1), done.stderr
    done = subprocess.run(
        [str(REPO_ROOT / "tools/check"), "checks=distro"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "STATUS" not in done.stdout
    assert "----------" in done.stdout and "distro:" in done.stdout, done.stdout  # nested


def test_a_clone_whose_path_holds_proxy_is_refused_before_anything_is_built(tmp_path):
    """Salt takes a salt-call under a path holding "proxy" for a proxy minion (salt#60790):
    both commands refuse such a clone with the reason, and build nothing."""
    repo = tmp_path / "proxyadmin" / "mdeprereq"
    for directory in ("tools", "requirements"):
        shutil.copytree(REPO_ROOT / directory, repo / directory)
    for tool in ("check", "test"):
        done = run_tool(repo, tool)
        assert done.returncode == 1, done.stderr
        assert 'contains "proxy": Salt would take every salt-call here for a proxy minion' in (
            done.stderr
        )
        assert not (repo / ".venv").exists()
