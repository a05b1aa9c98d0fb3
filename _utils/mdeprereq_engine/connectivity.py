"""The ``connectivity`` check: reach Defender's cloud the way mdatp will.

:func:`check_connectivity` takes the proxy mdatp would use (:mod:`.proxy`), the URLs this tenant
needs (:mod:`.endpoints`) and probes them all at once, bounded by one timeout (:mod:`.probe`).
Once mdatp runs, `mdatp connectivity test` is run beside the probes and compared with them.

Proxy credentials never appear: the proxy is shown masked, mdatp's output goes through
:func:`mask_url`.
"""

import re
import subprocess
import time

from . import data, probe
from .endpoints import default_urls, resolve_geo
from .probe import DNS, INSPECTION, INSPECTION_MESSAGE, OK, PROXY, REFUSED, RESULTS, TIMEOUT, TLS
from .proxy import discover_proxy
from .redact import mask_url
from .result import FAIL, PASS, SKIP, WARN, verdict

# -- mdatp's own view: `mdatp connectivity test` ---------------------------------------------------
# One line per URL, "Testing connection with <url> ... [OK]" (Microsoft's sample output in
# MicrosoftDocs/defender-docs defender-endpoint/linux-support-connectivity.md); a failure is
# "[ERROR]" followed by indented detail lines, as Microsoft's XMDE analyzer prints the same test
# (mde_tools connectivity perform_test: "... [ERROR]" then "\t <error>").
_MDATP_TEST_LINE = re.compile(
    r"^Testing connection with (?P<url>\S+) \.\.\. \[(?P<outcome>[^\]]*)\]"
)
MAX_MDATP_OUTPUT = 65536


def parse_mdatp_connectivity_test(text):
    """``[{"url", "outcome", "ok", "detail"}]`` of `mdatp connectivity test` output."""
    results = []
    for raw_line in (text or "")[:MAX_MDATP_OUTPUT].splitlines():
        line = raw_line.rstrip()
        match = _MDATP_TEST_LINE.match(line.strip())
        if match:
            outcome = match.group("outcome").strip()
            results.append(
                {
                    "url": mask_url(match.group("url")),
                    "outcome": outcome,
                    "ok": outcome.upper() == "OK",
                    "detail": "",
                }
            )
        elif results and line.strip():
            detail = results[-1]["detail"]
            results[-1]["detail"] = mask_url(f"{detail} {line.strip()}".strip())[:500]
    return results


def start_mdatp_connectivity_test(command):
    """Start `<command> connectivity test` (a :class:`subprocess.Popen`), or the reason it can't."""
    try:
        return subprocess.Popen(
            [*command, "connectivity", "test"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        ), None
    except OSError as exc:
        return None, f"{command[0]} could not be run: {exc.strerror or exc}"


def finish_mdatp_connectivity_test(process, timeout):
    """``{"ran", "returncode", "urls", "error"}`` of a started `mdatp connectivity test`."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {
            "ran": False,
            "returncode": None,
            "urls": [],
            "error": f"mdatp connectivity test did not finish within {timeout:g}s",
        }
    text = output[:MAX_MDATP_OUTPUT].decode("utf-8", "replace")
    urls = parse_mdatp_connectivity_test(text)
    error = None
    if not urls:
        last = (
            mask_url(probe.printable(text.strip().splitlines()[-1].encode()))
            if text.strip()
            else ""
        )
        error = f"mdatp connectivity test exited with {process.returncode} and tested no URL" + (
            f": {last}" if last else ""
        )
    return {"ran": True, "returncode": process.returncode, "urls": urls, "error": error}


def compare_with_mdatp(entries, mdatp_result):
    """Notes where mdatp's own test and our probes disagree, or mdatp reports a failure."""
    ours = {entry["host"]: entry for entry in entries if entry["host"]}
    notes = []
    for item in mdatp_result["urls"]:
        try:
            host, _port = probe.url_address(item["url"])
        except ValueError:
            host = None
        entry = ours.get(host)
        item["ours"] = entry["result"] if entry else None
        if entry is not None and (entry["result"] == OK) != item["ok"]:
            notes.append(
                f"{host}: this check says {entry['result']} but mdatp connectivity test says "
                f"[{item['outcome']}] for {item['url']}"
            )
        elif entry is None and not item["ok"]:
            notes.append(
                f"mdatp connectivity test says [{item['outcome']}] for {item['url']}"
                + (f" ({item['detail']})" if item["detail"] else "")
            )
    return notes


# -- the connectivity check ------------------------------------------------------------------------
CONNECTIVITY_REMEDIATIONS = {
    DNS: "Make the names resolve on this server (check /etc/resolv.conf and its DNS servers), or "
    "go through a static proxy that resolves them.",
    REFUSED: "Allow outbound TCP 443 to *.endpoint.security.microsoft.com and the other Defender "
    "URLs in the firewall; through a proxy, check that it runs at the configured host and port.",
    TIMEOUT: "Something drops the traffic: allow outbound TCP 443 to the Defender URLs in the "
    "firewall, or configure the static proxy this network needs (mdeprereq:proxy).",
    PROXY: "Let the proxy allow anonymous CONNECT to these hosts on port 443 (the page: 'permit "
    "anonymous traffic' to the Defender URLs).",
    TLS: "Check the clock (an expired or not yet valid certificate) and that nothing on the way "
    "answers in Microsoft's place (a certificate for another host name).",
    INSPECTION: "Exempt *.endpoint.security.microsoft.com and the other Defender URLs from SSL "
    "inspection on the proxy or firewall: Defender pins its connections to Microsoft's roots, so "
    "adding the interception certificate to the system store does not make it work. (Should the "
    "CA named be Microsoft's own, a root newer than the shipped ones, add it to a PEM bundle set "
    "as mdeprereq:connectivity:roots.)",
}
MDATP_REMEDIATION = (
    "Compare with 'mdatp connectivity test' on this host: mdatp uses its own proxy setting "
    "(mdatp config proxy set, or cloudService.proxy) and its own pinned connections."
)


def _mdatp_command(host, mdatp_command):
    if mdatp_command is not None:
        return list(mdatp_command)
    if host.root in ("/", "") and getattr(host, "allow_subprocess", True):
        return [data.MDATP_CLI]
    return None


def check_connectivity(host, settings, environ=None, system=None, mdatp_command=None):
    """Probe each Defender URL the way mdatp will (see :func:`.probe.probe_all`).

    Trust is by key: a chain is genuine when it verifies to the shipped roots (or to
    ``mdeprereq:connectivity:roots``). When mdatp is installed and its daemon runs,
    `mdatp connectivity test` runs once beside the probes and its outcome per URL is reported;
    where it and the probes disagree, the check warns naming both.

    :param system: the context of the operating system's store, used only to name an inspecting
        CA (default :func:`.probe.system_context`, so ``SSL_CERT_FILE`` works)
    :param mdatp_command: the mdatp CLI as an argv prefix (default ``/usr/bin/mdatp`` on the
        running machine; none for another root)
    """
    found = discover_proxy(host, settings, environ)
    effective = found.effective
    facts = {
        "proxy": effective.shown if effective else None,
        "proxy_source": effective.source if effective else None,
        "timeout": settings.connectivity_timeout,
    }
    if effective is not None and effective.problem is not None:
        return verdict(
            SKIP,
            f"not probed: the proxy mdatp would use is unusable ({effective.source}: "
            f"{effective.problem}); see the proxy check",
            facts=facts,
        )
    try:
        trust = probe.load_trust(settings)
    except probe.RootsError as exc:
        return verdict(
            FAIL,
            f"not probed: {exc}",
            remediation="Point mdeprereq:connectivity:roots at a readable PEM bundle of root "
            "certificates, or unset it to trust the shipped Microsoft and DigiCert roots.",
            facts=facts,
        )
    facts["trust"] = {"source": trust.source, "roots": trust.names}
    geo, geo_source, onboarding = resolve_geo(host, settings)
    facts.update({"geo": geo, "geo_source": geo_source})
    notes = []  # (what is off, what to do): a warning when every URL answers
    if onboarding is not None:
        facts["onboarding"] = onboarding
        facts["onboarding_kind"] = onboarding["kind"]
        if onboarding["error"]:
            notes.append(
                (
                    onboarding["error"],
                    "Run the check as root (the onboarding JSON is root's only), or set "
                    "mdeprereq:geo."
                    if onboarding["unreadable"]
                    else f"Put the onboarding JSON from the portal at {data.ONBOARD_JSON}.",
                )
            )
        elif onboarding["us_government"] and geo not in data.US_GOVERNMENT_GEOS:
            notes.append(
                (
                    "the onboarding JSON is for a US government cloud"
                    + (
                        f" but mdeprereq:geo is {geo}"
                        if geo
                        else ", so its geo's hosts were not probed"
                    ),
                    "Set mdeprereq:geo to the tenant's cloud: "
                    f"{', '.join(data.US_GOVERNMENT_GEOS)}.",
                )
            )
        elif onboarding["geo"] and geo and onboarding["geo"] != geo:
            notes.append(
                (
                    f"mdeprereq:geo is {geo} but the onboarding JSON is for {onboarding['geo']}",
                    f"Set mdeprereq:geo to {onboarding['geo']}, or unset it.",
                )
            )
    urls = list(dict.fromkeys(settings.connectivity_urls or default_urls(geo, onboarding)))
    if (
        not settings.connectivity_urls
        and geo is None
        and not (onboarding or {}).get("us_government")
    ):
        notes.append(
            (
                "the geo is unknown (no mdeprereq:geo, no onboarding JSON), so the geo's "
                "Defender hosts were not probed",
                f"Set mdeprereq:geo to the tenant's geo ({', '.join(data.GEOS)}).",
            )
        )
    command = None
    if host.mdatp_installed(settings.install_path) and host.mdatp_running(settings.install_path):
        command = _mdatp_command(host, mdatp_command)
    mdatp_process, mdatp_error = (None, None)
    if command:  # started first: it runs while we probe
        mdatp_process, mdatp_error = start_mdatp_connectivity_test(command)
    started = time.monotonic()
    entries = probe.probe_all(
        urls,
        effective.value if effective else None,
        settings.connectivity_timeout,
        trust,
        system,
    )
    facts["elapsed"] = round(time.monotonic() - started, 3)
    facts["urls"] = entries
    facts["counts"] = {
        result: sum(1 for e in entries if e["result"] == result)
        for result in RESULTS
        if any(e["result"] == result for e in entries)
    }
    if command:
        mdatp_result = (
            finish_mdatp_connectivity_test(mdatp_process, data.MDATP_CONNECTIVITY_TEST_TIMEOUT)
            if mdatp_process
            else {"ran": False, "returncode": None, "urls": [], "error": mdatp_error}
        )
        facts["mdatp_connectivity_test"] = mdatp_result
        disagreements = compare_with_mdatp(entries, mdatp_result)
        if mdatp_result["error"]:
            disagreements.append(mdatp_result["error"])
        for note in disagreements:
            notes.append((note, MDATP_REMEDIATION))
    via = f"through proxy {effective.shown} ({effective.source})" if effective else "directly"
    bad = [entry for entry in entries if entry["result"] != OK]
    if not bad:
        roots_seen = sorted({entry.get("root") or "?" for entry in entries})
        message = (
            f"all {len(entries)} Defender URLs answer {via} with a TLS chain verified to "
            f"{trust.source} (ending in {', '.join(roots_seen)})"
        )
        if notes:
            return verdict(
                WARN,
                f"{message}; but {'; '.join(note for note, _ in notes)}",
                remediation=" ".join(dict.fromkeys(remedy for _, remedy in notes)),
                facts=facts,
            )
        return verdict(PASS, message, facts=facts)
    inspected = [entry for entry in bad if entry["result"] == INSPECTION]
    others = [entry for entry in bad if entry["result"] != INSPECTION]
    parts = []
    hosts = ", ".join(_entry_name(entry) for entry in inspected)
    if inspected:
        seen = sorted({entry.get("inspected_by") or "an unknown CA" for entry in inspected})
        copied = sorted({entry["impostor_of"] for entry in inspected if entry.get("impostor_of")})
        parts.append(
            f"{INSPECTION_MESSAGE}: {hosts} (chains issued by {', '.join(map(repr, seen))}, "
            f"not verifying to {trust.source}"
            + (f"; named like {', '.join(map(repr, copied))} without its key" if copied else "")
            + ")"
        )
    parts.extend(f"{_entry_name(e)}: {e['result']} ({e['detail']})" for e in others)
    message = f"{len(bad)} of {len(entries)} Defender URLs fail {via}: " + "; ".join(parts)
    if notes:
        message += f". Also: {'; '.join(note for note, _ in notes)}"
    kinds = list(dict.fromkeys(entry["result"] for entry in [*inspected, *others]))
    remediation = " ".join(CONNECTIVITY_REMEDIATIONS[kind] for kind in kinds)
    if inspected:
        remediation += f" Hosts to exempt: {hosts}."
    if any(remedy == MDATP_REMEDIATION for _, remedy in notes):
        remediation += " " + MDATP_REMEDIATION
    return verdict(FAIL, message, remediation=remediation, facts=facts)


def _entry_name(entry):
    if entry["host"] is None:
        return entry["url"]
    return probe.format_endpoint(entry["host"], entry["port"])
