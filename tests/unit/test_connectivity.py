"""The connectivity check's verdicts from stand-in probes, and `mdatp connectivity test` parsed
and compared with them (``connectivity.py``).

The real proxies and TLS servers are in tests/integration/test_network_real.py.
"""

import ssl

import pytest

from mdeprereq_engine import connectivity, data, endpoints, probe, roots
from mdeprereq_engine.settings import SettingsError
from tests.unit.network_samples import (
    GOV_STREAMLINED,
    LEGACY_EU,
    SECRET,
    STREAMLINED_US,
    dumped,
    onboarding_json,
    settings,
)


# -- check_connectivity verdicts, with stand-in probes ---------------------------------------------
class FakeProbes:
    """Stands in for probe.probe_url: answers per host, records what it was asked."""

    def __init__(self, answers=None, default=None):
        self.answers = answers or {}
        self.default = default or {
            "result": "ok",
            "issuer": "Microsoft Corporation",
            "root": "Microsoft Root Certificate Authority 2011",
        }
        self.calls = []

    def __call__(self, url, proxy, timeout, trust, *, system, deadline, progress):
        self.calls.append({"url": url, "proxy": proxy, "timeout": timeout, "trust": trust})
        host, port = probe.url_address(url)
        answer = {
            "detail": "verified TLS handshake",
            "issuer": None,
            "root": None,
            "inspected_by": None,
            **self.answers.get(host, self.default),
        }
        return {"url": url, "host": host, "port": port, "elapsed": 0.01, **answer}


@pytest.fixture
def probes(monkeypatch):
    fake = FakeProbes()
    monkeypatch.setattr(probe, "probe_url", fake)
    return fake


ENTRY_KEYS = {
    "url",
    "host",
    "port",
    "result",
    "detail",
    "issuer",
    "root",
    "inspected_by",
    "elapsed",
}


def test_all_reachable_passes(machine, probes):
    result = connectivity.check_connectivity(machine.host(), settings(geo="us"))
    assert result["status"] == "pass", result
    assert "directly" in result["message"]
    assert "the shipped roots" in result["message"]
    hosts = [entry["host"] for entry in result["facts"]["urls"]]
    assert hosts[:2] == [
        "mdav.us.endpoint.security.microsoft.com",
        "edr-cus.us.endpoint.security.microsoft.com",
    ]
    assert {call["timeout"] for call in probes.calls} == {data.CONNECTIVITY_TIMEOUT}
    facts = result["facts"]
    assert facts["geo"] == "us"
    assert facts["geo_source"] == "mdeprereq:geo"
    assert facts["counts"] == {"ok": len(hosts)}
    assert facts["trust"]["source"] == "the shipped roots"
    assert sorted(facts["trust"]["roots"]) == sorted(root.name for root in roots.SHIPPED_ROOTS)
    for item in facts["urls"]:
        assert set(item) == ENTRY_KEYS


def test_the_shipped_roots_are_what_verifies(machine, probes):
    connectivity.check_connectivity(machine.host(), settings(geo="eu"))
    (trust,) = {id(call["trust"]): call["trust"] for call in probes.calls}.values()
    assert trust.context.verify_mode == ssl.CERT_REQUIRED
    assert trust.context.check_hostname is True
    shipped = {root.sha256 for root in roots.SHIPPED_ROOTS}
    assert {sha for _subject, sha in trust.roots} == shipped


def test_roots_setting_replaces_the_shipped_roots(machine, probes, tmp_path):
    pem = tmp_path / "roots.pem"
    pem.write_text(roots.DIGICERT_G2.pem)
    raw = {"geo": "eu", "connectivity": {"roots": str(pem)}}
    result = connectivity.check_connectivity(machine.host(), settings(**raw))
    assert result["facts"]["trust"] == {"source": str(pem), "roots": ["DigiCert Global Root G2"]}


@pytest.mark.parametrize(
    ("content", "text"), [(None, "can't be read"), ("not a certificate\n", "holds no PEM")]
)
def test_unusable_roots_file_fails_naming_the_key(machine, probes, tmp_path, content, text):
    pem = tmp_path / "roots.pem"
    if content is not None:
        pem.write_text(content)
    raw = {"geo": "eu", "connectivity": {"roots": str(pem)}}
    result = connectivity.check_connectivity(machine.host(), settings(**raw))
    assert result["status"] == "fail"
    assert "mdeprereq:connectivity:roots" in result["message"]
    assert text in result["message"]
    assert probes.calls == []


def test_expected_issuers_is_gone_with_a_clear_error():
    with pytest.raises(SettingsError) as error:
        settings(connectivity={"expected_issuers": ["Microsoft Corporation"]})
    assert "expected_issuers" in str(error.value)
    assert "mdeprereq:connectivity:roots" in str(error.value)


@pytest.mark.parametrize("value", ["relative/roots.pem", ["/a.pem"], 3, "/etc/x\n.pem"])
def test_bad_roots_setting(value):
    with pytest.raises(SettingsError, match="mdeprereq:connectivity:roots"):
        settings(connectivity={"roots": value})


def test_geo_unknown_warns(machine, probes):
    result = connectivity.check_connectivity(machine.host(), settings())
    assert result["status"] == "warn"
    assert "geo is unknown" in result["message"]
    assert "mdeprereq:geo" in result["remediation"]
    assert [c["url"] for c in probes.calls] == [data.ECS_URL, *data.CONNECTIVITY_COMMON_URLS]


def test_geo_mismatch_warns(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    result = connectivity.check_connectivity(machine.host(), settings(geo="eu"))
    assert result["status"] == "warn"
    assert "mdeprereq:geo is eu but the onboarding JSON is for us" in result["message"]


def test_onboarding_geo_and_hosts_are_probed(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(STREAMLINED_US))
    result = connectivity.check_connectivity(machine.host(), settings())
    assert result["status"] == "pass", result
    urls = {c["url"] for c in probes.calls}
    assert STREAMLINED_US["vortexServerUrl"] in urls
    assert result["facts"]["geo_source"] == data.ONBOARD_JSON
    assert result["facts"]["onboarding_kind"] == "streamlined"
    assert "orgId" not in dumped(result)


def test_legacy_onboarding_probes_the_legacy_hosts(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(LEGACY_EU))
    result = connectivity.check_connectivity(machine.host(), settings())
    assert result["facts"]["onboarding_kind"] == "legacy"
    hosts = {probe.url_address(c["url"])[0] for c in probes.calls}
    assert "winatp-gw-weu.microsoft.com" in hosts
    assert "mdav.eu.endpoint.security.microsoft.com" not in hosts


def test_configured_urls_replace_the_defaults(machine, probes):
    urls = ["https://a.example/", "https://b.example:8443/", "https://a.example/"]
    raw = {"geo": "us", "connectivity": {"urls": urls, "timeout": 3}}
    connectivity.check_connectivity(machine.host(), settings(**raw))
    assert [c["url"] for c in probes.calls] == urls[:2]
    assert {c["timeout"] for c in probes.calls} == {3.0}


def test_proxy_from_the_environment_is_used(machine, probes):
    host = machine.host(environ={"https_proxy": "http://proxy:3128"})
    result = connectivity.check_connectivity(host, settings(geo="uk"))
    assert {c["proxy"] for c in probes.calls} == {"http://proxy:3128"}
    assert "through proxy http://proxy:3128 (https_proxy in the environment)" in result["message"]
    assert result["facts"]["proxy"] == "http://proxy:3128"


def test_unusable_proxy_skips(machine, probes):
    host = machine.host(environ={"HTTPS_PROXY": "http://cfg/proxy.pac"})
    result = connectivity.check_connectivity(host, settings(geo="us"))
    assert result["status"] == "skip"
    assert "see the proxy check" in result["message"]
    assert probes.calls == []


FORTINET = "C=US, O=Fortinet, CN=FortiGate CA"


def test_ssl_inspection_fails_naming_the_ca_and_the_hosts(machine, probes):
    inspected = {"result": "inspection", "issuer": "Fortinet", "inspected_by": FORTINET}
    probes.answers = {
        "mdav.uk.endpoint.security.microsoft.com": {**inspected, "detail": "SSL inspection ..."},
        "go.microsoft.com": {**inspected, "detail": "SSL inspection ..."},
    }
    result = connectivity.check_connectivity(machine.host(), settings(geo="uk"))
    assert result["status"] == "fail"
    assert result["message"].startswith(
        "2 of 7 Defender URLs fail directly: " + probe.INSPECTION_MESSAGE
    )
    assert repr(FORTINET) in result["message"]
    assert "mdav.uk.endpoint.security.microsoft.com:443, go.microsoft.com:443" in result["message"]
    assert (
        "Hosts to exempt: mdav.uk.endpoint.security.microsoft.com:443, go.microsoft.com:443"
        in (result["remediation"])
    )
    assert connectivity.CONNECTIVITY_REMEDIATIONS["inspection"] in result["remediation"]
    assert result["fixable"] is False
    assert result["facts"]["counts"] == {"ok": 5, "inspection": 2}


def test_every_kind_of_failure_is_reported(machine, probes):
    probes.answers = {
        "mdav.au.endpoint.security.microsoft.com": {
            "result": "dns",
            "detail": "mdav.au... does not resolve: Name or service not known",
        },
        "edr-aus.au.endpoint.security.microsoft.com": {
            "result": "refused",
            "detail": "refused the connection",
        },
        "packages.microsoft.com": {"result": "timeout", "detail": "no answer"},
        "go.microsoft.com": {
            "result": "proxy",
            "detail": "the proxy answered CONNECT go.microsoft.com:443 with "
            "'HTTP/1.1 403 Forbidden'",
        },
        "definitionupdates.microsoft.com": {
            "result": "tls",
            "detail": "certificate verification failed: certificate has expired",
        },
        "config.edge.skype.com": {
            "result": "inspection",
            "detail": "SSL inspection ...",
            "inspected_by": FORTINET,
        },
    }
    result = connectivity.check_connectivity(machine.host(), settings(geo="au"))
    assert result["status"] == "fail"
    assert result["message"].startswith("6 of 7 Defender URLs fail directly")
    for kind in ("dns", "refused", "timeout", "proxy", "tls"):
        assert f": {kind} (" in result["message"]
        assert connectivity.CONNECTIVITY_REMEDIATIONS[kind] in result["remediation"]
    assert connectivity.CONNECTIVITY_REMEDIATIONS["inspection"] in result["remediation"]
    assert "'HTTP/1.1 403 Forbidden'" in result["message"]
    assert result["facts"]["counts"] == {
        "ok": 1,
        "dns": 1,
        "refused": 1,
        "timeout": 1,
        "proxy": 1,
        "tls": 1,
        "inspection": 1,
    }


# -- `mdatp connectivity test`: Microsoft's sample output, parsed and compared ---------------------
# Microsoft's own sample, verbatim (MicrosoftDocs/defender-docs,
# defender-endpoint/linux-support-connectivity.md, "Expected output:", at commit
# 0055bdac1dfafc496c638841f49e7cdd2142314a)
MDATP_SAMPLE = """\
Testing connection with https://cdn.x.cp.wd.microsoft.com/ping ... [OK]
Testing connection with https://eu-cdn.x.cp.wd.microsoft.com/ping ... [OK]
Testing connection with https://wu-cdn.x.cp.wd.microsoft.com/ping ... [OK]
Testing connection with https://x.cp.wd.microsoft.com/api/report ... [OK]
Testing connection with https://winatp-gw-cus.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-eus.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-weu.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-neu.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-ukw.microsoft.com/test ... [OK]
Testing connection with https://winatp-gw-uks.microsoft.com/test ... [OK]
Testing connection with https://eu-v20.events.data.microsoft.com/ping ... [OK]
Testing connection with https://us-v20.events.data.microsoft.com/ping ... [OK]
Testing connection with https://uk-v20.events.data.microsoft.com/ping ... [OK]
Testing connection with https://v20.events.data.microsoft.com/ping ... [OK]
"""
# A failing line as Microsoft's XMDE analyzer prints the same test (mde_tools connectivity
# perform_test: "Testing connection with {url} ... [ERROR]", then "\t {error}")
MDATP_FAILING = MDATP_SAMPLE.replace(
    "https://winatp-gw-neu.microsoft.com/test ... [OK]\n",
    "https://winatp-gw-neu.microsoft.com/test ... [ERROR]\n\t SSL cert issue\n",
)


def test_parse_microsofts_sample():
    parsed = connectivity.parse_mdatp_connectivity_test(MDATP_SAMPLE)
    assert len(parsed) == 14
    assert parsed[0] == {
        "url": "https://cdn.x.cp.wd.microsoft.com/ping",
        "outcome": "OK",
        "ok": True,
        "detail": "",
    }
    assert all(item["ok"] for item in parsed)
    assert parsed[-1]["url"] == "https://v20.events.data.microsoft.com/ping"


def test_parse_a_failure_with_its_detail():
    parsed = {
        item["url"]: item for item in connectivity.parse_mdatp_connectivity_test(MDATP_FAILING)
    }
    failed = parsed["https://winatp-gw-neu.microsoft.com/test"]
    assert failed == {
        "url": "https://winatp-gw-neu.microsoft.com/test",
        "outcome": "ERROR",
        "ok": False,
        "detail": "SSL cert issue",
    }
    assert sum(not item["ok"] for item in parsed.values()) == 1


def test_parse_masks_credentials_and_ignores_noise():
    text = f"ATTENTION: something\nTesting connection with https://u:{SECRET}@x.example/ ... [OK]\n"
    (item,) = connectivity.parse_mdatp_connectivity_test(text)
    assert SECRET not in dumped(item)
    assert connectivity.parse_mdatp_connectivity_test("") == []


def stub_mdatp(tmp_path, output, code=0):
    """A small executable of our own that prints ``output`` (the cited sample) like the CLI."""
    sample = tmp_path / "sample.txt"
    sample.write_text(output)
    stub = tmp_path / "mdatp"
    stub.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2" = "connectivity test" ] || { echo "unexpected: $*" >&2; exit 2; }\n'
        f'cat "{sample}"\nexit {code}\n'
    )
    stub.chmod(0o755)
    return str(stub)


def running_mdatp(machine, tmp_path):
    """mdatp installed (its daemon file) and running (a /proc entry whose exe is the daemon)."""
    daemon = f"{data.DEFAULT_INSTALL_PATH}/{data.DAEMON_RELATIVE_PATH}"
    machine.write(daemon, "")
    (machine.proc / "4242").mkdir(parents=True)
    (machine.proc / "4242" / "exe").symlink_to(daemon)
    return machine.host()


def test_mdatp_agreeing_with_the_probes_passes(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    stub = stub_mdatp(tmp_path, MDATP_SAMPLE)
    result = connectivity.check_connectivity(host, settings(geo="eu"), mdatp_command=[stub])
    assert result["status"] == "pass", result
    test = result["facts"]["mdatp_connectivity_test"]
    assert test["ran"] is True
    assert len(test["urls"]) == 14
    assert all(item["ours"] is None for item in test["urls"])  # legacy hosts: not probed here


def test_mdatp_failure_is_a_warning_naming_it(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    stub = stub_mdatp(tmp_path, MDATP_FAILING)
    result = connectivity.check_connectivity(host, settings(geo="eu"), mdatp_command=[stub])
    assert result["status"] == "warn", result
    assert (
        "mdatp connectivity test says [ERROR] for https://winatp-gw-neu.microsoft.com/test "
        "(SSL cert issue)" in result["message"]
    )
    assert result["remediation"] == connectivity.MDATP_REMEDIATION


def test_disagreement_names_both(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    probes.answers = {"winatp-gw-neu.microsoft.com": {"result": "ok", "root": "x"}}
    stub = stub_mdatp(tmp_path, MDATP_FAILING)
    raw = {"connectivity": {"urls": ["https://winatp-gw-neu.microsoft.com/"]}}
    result = connectivity.check_connectivity(host, settings(**raw), mdatp_command=[stub])
    assert result["status"] == "warn"
    assert (
        "winatp-gw-neu.microsoft.com: this check says ok but mdatp connectivity test says "
        "[ERROR] for https://winatp-gw-neu.microsoft.com/test" in result["message"]
    )
    (item,) = [i for i in result["facts"]["mdatp_connectivity_test"]["urls"] if not i["ok"]]
    assert item["ours"] == "ok"


def test_disagreement_the_other_way_adds_to_the_failure(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    probes.answers = {"winatp-gw-weu.microsoft.com": {"result": "timeout", "detail": "no answer"}}
    stub = stub_mdatp(tmp_path, MDATP_SAMPLE)
    raw = {"connectivity": {"urls": ["https://winatp-gw-weu.microsoft.com/"]}}
    result = connectivity.check_connectivity(host, settings(**raw), mdatp_command=[stub])
    assert result["status"] == "fail"
    assert (
        "Also: winatp-gw-weu.microsoft.com: this check says timeout but mdatp connectivity "
        "test says [OK]" in result["message"]
    )
    assert connectivity.MDATP_REMEDIATION in result["remediation"]


def test_mdatp_not_run_unless_installed_and_running(machine, probes, tmp_path):
    stub = stub_mdatp(tmp_path, MDATP_FAILING)
    result = connectivity.check_connectivity(
        machine.host(), settings(geo="eu"), mdatp_command=[stub]
    )
    assert "mdatp_connectivity_test" not in result["facts"]
    machine.write(f"{data.DEFAULT_INSTALL_PATH}/{data.DAEMON_RELATIVE_PATH}", "")
    result = connectivity.check_connectivity(
        machine.host(), settings(geo="eu"), mdatp_command=[stub]
    )
    assert "mdatp_connectivity_test" not in result["facts"]  # installed, daemon not running


def test_mdatp_that_cannot_run_warns(machine, probes, tmp_path):
    host = running_mdatp(machine, tmp_path)
    missing = str(tmp_path / "no-such-mdatp")
    result = connectivity.check_connectivity(host, settings(geo="eu"), mdatp_command=[missing])
    assert result["status"] == "warn"
    assert "could not be run" in result["message"]
    stub = stub_mdatp(tmp_path, "Could not connect to the daemon\n", code=1)
    result = connectivity.check_connectivity(host, settings(geo="eu"), mdatp_command=[stub])
    assert result["status"] == "warn"
    assert "exited with 1 and tested no URL: Could not connect to the daemon" in result["message"]


def test_us_government_onboarding_is_not_probed_as_commercial(machine, probes):
    machine.write(data.ONBOARD_JSON, onboarding_json(GOV_STREAMLINED))
    info = endpoints.read_onboarding(machine.host())
    assert info["us_government"] is True
    assert info["geo"] is None
    result = connectivity.check_connectivity(machine.host(), settings())
    assert result["status"] == "warn"
    assert "the onboarding JSON is for a US government cloud" in result["message"]
    assert "gcc, gcc-high, dod" in result["remediation"]
    hosts = {probe.url_address(c["url"])[0] for c in probes.calls}
    assert "edr-usgv.gcc.endpoint.security.microsoft.us" in hosts
    assert not any(host.endswith(".endpoint.security.microsoft.com") for host in hosts)
    assert "config.edge.skype.com" not in hosts  # the commercial ECS
    probes.calls.clear()
    result = connectivity.check_connectivity(machine.host(), settings(geo="gcc-high"))
    assert result["status"] == "pass", result
    hosts = {probe.url_address(c["url"])[0] for c in probes.calls}
    assert "config.ecs.gov.teams.microsoft.us" in hosts
