"""Which Defender URLs this tenant needs: its geo and onboarding kind, read from the onboarding
JSON (or ``mdeprereq:geo``), and the URL set of that geo and kind (Microsoft's tables in
``data.py``), for the connectivity check to probe. Nothing secret leaves: no org ID, no blob.
"""

import json
import re
import urllib.parse

from . import data
from .probe import url_address

# -- geo, onboarding kind and the URLs to probe ----------------------------------------------------
STREAMLINED, LEGACY = "streamlined", "legacy"
# How Microsoft's XMDE Client Analyzer tells the kind of onboarding package (its mde_tools
# connectivity module, get_geo_from_onboarding): a "GW_<geo>" token anywhere in the onboarding
# file means the streamlined package (partnerGeoLocation "GW_EU"); otherwise the bare
# vortexGeoLocation ("EU") of the standard (legacy) package decides, with the legacy URL set.
_STREAMLINED_TOKEN = re.compile(r"GW_([A-Za-z]+)")


def _loads_maybe(value):
    """``value`` itself, or the JSON it holds when it is a string (the blob nests JSON in JSON)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def _geo_alias(candidate):
    if not isinstance(candidate, str):
        return None
    return data.ONBOARDING_GEO_ALIASES.get(candidate.strip().lower().removeprefix("gw_"))


def read_onboarding(host):
    """What the onboarding JSON tells about the tenant's geo, onboarding kind and service URLs.

    :returns: None when there is no onboarding JSON, else ``{"geo", "kind", "us_government",
        "datacenter", "geo_location_url", "vortex_server_url", "error", "unreadable"}``; ``kind``
        is :data:`STREAMLINED` or :data:`LEGACY` (decided as Microsoft's analyzer decides it) or
        None. Nothing secret: no org ID, no blob.
    """
    try:
        text, error = host.read_text(data.ONBOARD_JSON), None  # None when there is no file
    except OSError as exc:
        text, error = None, f"{data.ONBOARD_JSON} can't be read: {exc.strerror or exc}"
    if text is None and error is None:
        return None
    info = {
        "geo": None,
        "kind": None,
        "us_government": False,
        "datacenter": None,
        "geo_location_url": None,
        "vortex_server_url": None,
        "error": error,
        "unreadable": error is not None,
    }
    if error:
        return info
    try:
        outer = json.loads(text)
        onboarding = _loads_maybe(outer.get("onboardingInfo") if isinstance(outer, dict) else None)
        body = _loads_maybe(onboarding.get("body") if isinstance(onboarding, dict) else None)
    except ValueError as exc:
        info["error"] = f"{data.ONBOARD_JSON} is not the JSON Microsoft's portal makes ({exc})"
        return info
    if not isinstance(body, dict):
        info["error"] = f"{data.ONBOARD_JSON} has no onboardingInfo body"
        return info
    for key, field in (
        ("datacenter", "datacenter"),
        ("geo_location_url", "geoLocationUrl"),
        ("vortex_server_url", "vortexServerUrl"),
    ):
        if isinstance(body.get(field), str):
            info[key] = body[field]
    token = _STREAMLINED_TOKEN.search(text)
    host_name = urllib.parse.urlsplit(info["geo_location_url"] or "").hostname or ""
    service_hosts = [
        urllib.parse.urlsplit(url or "").hostname or ""
        for url in (info["geo_location_url"], info["vortex_server_url"])
    ]
    # A US government tenant's service hosts are under microsoft.us (Microsoft's US government
    # URL page: *.endpoint.security.microsoft.us); the blob doesn't say which of GCC, GCC High, DoD
    info["us_government"] = any(name.endswith(".microsoft.us") for name in service_hosts)
    if token:
        info["kind"] = STREAMLINED
    elif isinstance(body.get("vortexGeoLocation"), str):
        info["kind"] = LEGACY
    candidates = [token.group(1) if token else None, body.get("vortexGeoLocation")]
    if host_name.endswith(".endpoint.security.microsoft.com"):
        candidates.append(host_name.split(".")[1])
    info["geo"] = next((geo for geo in map(_geo_alias, candidates) if geo), None)
    if info["us_government"]:
        info["geo"] = None  # not a commercial geo; mdeprereq:geo names the cloud
    return info


def resolve_geo(host, settings):
    """``(geo, source, onboarding)``: ``mdeprereq:geo``, else the onboarding JSON's geo."""
    onboarding = read_onboarding(host)
    if settings.geo:
        return settings.geo, "mdeprereq:geo", onboarding
    if onboarding and onboarding["geo"]:
        return onboarding["geo"], data.ONBOARD_JSON, onboarding
    return None, None, onboarding


def geo_urls(geo, kind=STREAMLINED):
    """The URLs of ``geo`` for an onboarding of ``kind`` (see ``data``), without the common ones."""
    if geo in data.US_GOVERNMENT_URLS:
        return list(data.US_GOVERNMENT_URLS[geo])
    if kind == LEGACY:
        return list(data.LEGACY_GEO_URLS.get(geo, ()))
    label = data.STREAMLINED_HOST_LABELS[geo]
    urls = [template.format(label=label) for template in data.STREAMLINED_GEO_URLS]
    urls.extend(
        data.STREAMLINED_EDR_URL.format(host=edr, label=label)
        for edr in data.STREAMLINED_EDR_HOSTS.get(geo, ())
    )
    return urls


def default_urls(geo, onboarding=None):
    """The URLs the connectivity check probes when ``mdeprereq:connectivity:urls`` is unset.

    The geo's set for the onboarding's kind (streamlined unless the onboarding JSON is a standard
    one), the onboarding JSON's own EDR and cyber-data URLs, the ECS configuration URL (the
    commercial one; a US government geo's set has its own) and the URLs every device needs. One
    URL per host and port: the probe is a TLS handshake, the path does not matter to it.
    """
    kind = (onboarding or {}).get("kind") or STREAMLINED
    urls = geo_urls(geo, kind) if geo else []
    if onboarding:
        for key in ("geo_location_url", "vortex_server_url"):
            url = onboarding.get(key)
            if isinstance(url, str) and url.startswith("https://"):
                urls.append(url)
    if geo not in data.US_GOVERNMENT_GEOS and not (onboarding or {}).get("us_government"):
        urls.append(data.ECS_URL)
    urls.extend(data.CONNECTIVITY_COMMON_URLS)
    unique, seen = [], set()
    for url in urls:
        try:
            address = url_address(url)
        except ValueError:
            continue
        if address not in seen:
            seen.add(address)
            unique.append(url)
    return unique
