"""Probing one Defender URL the way mdatp reaches it: resolve, connect (HTTP CONNECT through a
static proxy when there is one), and complete a TLS handshake verified by key.

Defender pins its connections: a chain is genuine only when it verifies to the roots in
``roots.py`` (or ``mdeprereq:connectivity:roots``, see :func:`load_trust`); the operating system's
store never decides. A chain that ends in another CA, or in one copying a root's name, is SSL
inspection (:data:`INSPECTION`), which Microsoft's prerequisites page does not support ("adding
your interception certificate to the global store doesn't enable interception").
:func:`probe_all` probes many URLs at once in threads, all bounded by one timeout. The
certificate names are read from DER here (standard library only).
"""

import _ssl
import dataclasses
import hashlib
import socket
import ssl
import threading
import time
import urllib.parse

from . import data, roots
from .errors import MdeprereqError
from .proxy import ProxyURLError, proxy_address

INSPECTION_MESSAGE = "SSL inspection is not supported: exempt these hosts from inspection"

# Per-URL results of a probe (and of the connectivity check)
OK, DNS, REFUSED, TIMEOUT, PROXY, TLS = "ok", "dns", "refused", "timeout", "proxy", "tls"
INSPECTION = "inspection"
RESULTS = (OK, DNS, REFUSED, TIMEOUT, PROXY, TLS, INSPECTION)
# OpenSSL's verification errors (X509_V_ERR_*) that mean "this chain does not lead to a trusted
# root": no issuer found, a self-signed certificate that is not a trusted root, a signature that
# does not match the issuer's key (a CA copying a root's name), an issuer that isn't a CA. Any other
# verification error (expired: 10, not yet valid: 9, wrong host: 62/64, revoked: 23, ...) is "tls".
NOT_TRUSTED_CHAIN_CODES = frozenset({2, 4, 6, 7, 18, 19, 20, 21, 24, 27, 28, 29, 30, 31})
MAX_ROOTS_FILE = 1 << 20
# How long past the deadline to wait for a probe thread still blocked (a name lookup can't be
# interrupted); after that its URL is reported as a timeout and the thread is left behind
JOIN_GRACE = 0.25
MAX_PROXY_ANSWER = 65536
_STAGES = {
    "dns": "resolving the name",
    "connect": "connecting",
    "proxy": "waiting for the proxy to answer CONNECT",
    "tls": "in the TLS handshake",
}
# The same, naming what was waited for
_STAGES_NAMED = {"connect": "connecting to {}", "proxy": "waiting for the proxy to answer {}"}


def url_address(url):
    """``(host, port)`` of an https URL (port 443 unless given)."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port  # ValueError on a bad port
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host name")
    return parts.hostname, port or 443


# -- probing one URL -------------------------------------------------------------------------------
class _ProbeFailure(Exception):
    def __init__(self, result, detail, verify_code=None):
        super().__init__(detail)
        self.result = result
        self.detail = detail
        self.verify_code = verify_code  # OpenSSL's X509_V_ERR_* when verification failed


def format_endpoint(host, port):
    """``host:port``, an IPv6 address in brackets (``[2001:db8::1]:443``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _resolve(host, port):
    """``socket.getaddrinfo`` for TCP (its own function so tests can stand in for DNS)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def printable(raw, limit=200):
    """``raw`` bytes as text fit for a message: latin-1, non-printables as ``?``, cut short."""
    text = raw.decode("latin-1").strip()
    return "".join(c if c.isprintable() else "?" for c in text)[:limit]


@dataclasses.dataclass
class _Attempt:
    """One way through to ``host:port``: directly or through ``proxy``, by ``deadline``."""

    host: str
    port: int
    proxy: str | None
    timeout: float
    deadline: float
    progress: dict

    def remaining(self):
        return self.deadline - time.monotonic()

    def timed_out(self, stage, what=None):
        doing = _STAGES_NAMED[stage].format(what) if what else _STAGES[stage]
        return _ProbeFailure(TIMEOUT, f"no answer within {self.timeout:g}s {doing}")

    def open(self):
        """A TCP connection to the host, or through the proxy's tunnel to it."""
        if not self.proxy:
            return self.connect(self.host, self.port, None)
        proxy_host, proxy_port = proxy_address(self.proxy)
        sock = self.connect(proxy_host, proxy_port, "the proxy")
        try:
            self.tunnel(sock)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self, host, port, label):
        """A TCP connection to ``host:port``; ``label`` names it in messages ("the proxy")."""
        where = f"{label} {format_endpoint(host, port)}" if label else format_endpoint(host, port)
        self.progress["stage"] = "dns"
        try:
            addresses = _resolve(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            named = f"{label} {host}" if label else host
            raise _ProbeFailure(DNS, f"{named} does not resolve: {reason}") from None
        self.progress["stage"] = "connect"
        last_error = None
        for family, kind, protocol, _name, address in addresses:
            remaining = self.remaining()
            if remaining <= 0:
                raise self.timed_out("connect", where)
            sock = socket.socket(family, kind, protocol)
            sock.settimeout(remaining)
            try:
                sock.connect(address)
            except TimeoutError:
                sock.close()
                raise self.timed_out("connect", where) from None
            except OSError as exc:
                sock.close()
                last_error = exc
                continue
            return sock
        if last_error is None or isinstance(last_error, ConnectionRefusedError):
            raise _ProbeFailure(REFUSED, f"{where} refused the connection")
        reason = last_error.strerror or last_error
        raise _ProbeFailure(REFUSED, f"could not connect to {where}: {reason}")

    def tunnel(self, sock):
        """Ask the proxy on ``sock`` for a tunnel to the host (HTTP CONNECT)."""
        self.progress["stage"] = "proxy"
        try:
            target = format_endpoint(self.host.encode("idna").decode("ascii"), self.port)
        except UnicodeError as exc:
            raise _ProbeFailure(DNS, f"{self.host} is not a valid host name: {exc}") from None
        request = (
            f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: mdeprereq\r\n"
            "Proxy-Connection: Keep-Alive\r\n\r\n"
        )
        answer = b""
        try:
            sock.settimeout(max(self.remaining(), 0.001))
            sock.sendall(request.encode("ascii"))
            # Read the head of the answer and not one byte more: TLS follows on this socket
            while b"\r\n\r\n" not in answer and len(answer) <= MAX_PROXY_ANSWER:
                remaining = self.remaining()
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
                peeked = sock.recv(4096, socket.MSG_PEEK)
                if not peeked:
                    break
                end = (answer + peeked).find(b"\r\n\r\n")
                answer += sock.recv(len(peeked) if end < 0 else end + 4 - len(answer))
                if not b"HTTP/".startswith(answer[:5]):
                    break  # not an HTTP proxy: no use waiting for the rest
        except TimeoutError:
            raise self.timed_out("proxy", f"CONNECT {target}") from None
        except OSError as exc:
            raise _ProbeFailure(
                PROXY, f"the proxy dropped the connection after CONNECT {target}: {exc}"
            ) from None
        if not answer:
            raise _ProbeFailure(
                PROXY, f"the proxy closed the connection without answering CONNECT {target}"
            )
        status_line = printable(answer.split(b"\r\n", 1)[0])
        fields = status_line.split(None, 2)
        if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
            raise _ProbeFailure(
                PROXY,
                f"the proxy answered CONNECT {target} with something not HTTP: '{status_line}'",
            )
        code = int(fields[1])
        if 200 <= code < 300 and b"\r\n\r\n" in answer:
            return
        hint = (
            ": the proxy wants credentials, and authenticated proxies aren't supported"
            if code == 407
            else ""
        )
        raise _ProbeFailure(
            PROXY, f"the proxy answered CONNECT {target} with '{status_line}'{hint}"
        )

    def _wrap(self, context):
        """A TLS socket over a new connection (directly or through the proxy), not handshaken."""
        sock = self.open()
        self.progress["stage"] = "tls"
        try:
            remaining = self.remaining()
            if remaining <= 0:
                raise self.timed_out("tls")
            sock.settimeout(remaining)
            return context.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
        except BaseException:
            sock.close()
            raise

    def handshake(self, context):
        """Complete a TLS handshake verified by ``context``: ``(leaf DER, chain DERs)``.

        The chain is the verified one (leaf first, root last) when ``context`` verifies, else the
        one the server presented.
        """
        tls = self._wrap(context)
        try:
            tls.do_handshake()
            verified = context.verify_mode != ssl.CERT_NONE
            return tls.getpeercert(binary_form=True) or b"", _chain(tls, verified)
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or str(exc)
            raise _ProbeFailure(
                TLS, f"certificate verification failed: {reason}", exc.verify_code
            ) from None
        except TimeoutError:
            raise self.timed_out("tls") from None
        except ssl.SSLError as exc:
            raise _ProbeFailure(TLS, f"TLS handshake failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise _ProbeFailure(
                TLS, f"the connection was closed in the TLS handshake: {exc.strerror or exc}"
            ) from None
        finally:
            tls.close()


def _chain(tls, verified):
    """The certificate chain of a handshaken socket as DER, leaf first ([] when unknown).

    Python 3.13 has ``get_verified_chain``/``get_unverified_chain`` on the socket (DER bytes);
    3.10-3.12 have them on the private ``_sslobj`` (``_ssl.Certificate`` objects).
    """
    name = "get_verified_chain" if verified else "get_unverified_chain"
    for owner in (tls, getattr(tls, "_sslobj", None)):
        getter = getattr(owner, name, None)
        if getter is None:
            continue
        try:
            chain = getter() or []
        except (ssl.SSLError, ValueError):
            return []
        return [
            item if isinstance(item, bytes) else item.public_bytes(_ssl.ENCODING_DER)
            for item in chain
        ]
    return []


# -- certificates: names and fingerprints, from DER (standard library only) -----------------------
def _der_item(der, position):
    """``(tag, content start, content end)`` of the DER item at ``position``."""
    tag = der[position]
    length = der[position + 1]
    position += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[position : position + count], "big")
        position += count
    if position + length > len(der):
        raise ValueError("truncated DER")
    return tag, position, position + length


_NAME_OIDS = {
    bytes([0x55, 0x04, 0x03]): "CN",
    bytes([0x55, 0x04, 0x06]): "C",
    bytes([0x55, 0x04, 0x07]): "L",
    bytes([0x55, 0x04, 0x08]): "ST",
    bytes([0x55, 0x04, 0x0A]): "O",
    bytes([0x55, 0x04, 0x0B]): "OU",
}
_DER_STRINGS = {0x0C: "utf-8", 0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1E: "utf-16-be"}


def _der_name(der, start, end):
    """The attributes of the X.501 Name between ``start`` and ``end``: ``[(short name, value)]``."""
    attributes = []
    position = start
    while position < end:
        _tag, inner, rdn_end = _der_item(der, position)  # RelativeDistinguishedName (SET)
        while inner < rdn_end:
            _tag, pair, pair_end = _der_item(der, inner)  # AttributeTypeAndValue
            _tag, oid_start, oid_end = _der_item(der, pair)
            value_tag, value_start, value_end = _der_item(der, oid_end)
            oid = der[oid_start:oid_end]
            codec = _DER_STRINGS.get(value_tag, "latin-1")
            value = der[value_start:value_end].decode(codec, "replace")
            attributes.append((_NAME_OIDS.get(oid, f"OID.{oid.hex()}"), value))
            inner = pair_end
        position = rdn_end
    return attributes


def certificate_names(der):
    """``{"issuer": [(name, value)], "subject": [...]}`` of a DER certificate, or None."""
    try:
        _tag, start, _end = _der_item(der, 0)  # Certificate
        _tag, position, _end = _der_item(der, start)  # tbsCertificate
        tag, _start, end = _der_item(der, position)
        if tag == 0xA0:  # [0] version
            position = end
        for _skipped in ("serialNumber", "signature"):
            _tag, _start, position = _der_item(der, position)
        _tag, issuer_start, issuer_end = _der_item(der, position)
        _tag, _start, position = _der_item(der, issuer_end)  # validity
        _tag, subject_start, subject_end = _der_item(der, position)
        return {
            "issuer": _der_name(der, issuer_start, issuer_end),
            "subject": _der_name(der, subject_start, subject_end),
        }
    except (IndexError, ValueError):
        return None


def format_name(attributes):
    """``C=US, O=Microsoft Corporation, CN=...`` (in the certificate's order)."""
    return ", ".join(f"{name}={value}" for name, value in attributes) or "(an empty name)"


def _attribute(attributes, wanted):
    return ", ".join(value for name, value in attributes if name == wanted) or None


def issuer_organization_from_der(der):
    """The issuer's organization (O=) of a DER certificate, or None; never raises."""
    names = certificate_names(der)
    return _attribute(names["issuer"], "O") if names else None


def _sha256(der):
    return hashlib.sha256(der).hexdigest().upper()


# -- what the connectivity check trusts ------------------------------------------------------------
class RootsError(MdeprereqError):
    """``mdeprereq:connectivity:roots`` can't be used; the message names the key."""


@dataclasses.dataclass
class Trust:
    """The roots a Defender host's chain must verify to, and a context that verifies with them."""

    source: str  # "the shipped roots" or the mdeprereq:connectivity:roots path
    pem: str

    def __post_init__(self):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # hostname checked, cert required
        self.context.load_verify_locations(cadata=self.pem)
        self.roots = []  # [(subject attributes, SHA-256)]
        for der in self.context.get_ca_certs(binary_form=True):
            names = certificate_names(der)
            self.roots.append((names["subject"] if names else [], _sha256(der)))

    @property
    def names(self):
        return [_attribute(subject, "CN") or format_name(subject) for subject, _ in self.roots]

    def impostor_of(self, chain):
        """The name of a trusted root that ``chain`` copies without its key, or None.

        A certificate in the chain named exactly like a trusted root but with another
        fingerprint, or a top certificate issued in a trusted root's name (its issuer is a root's
        subject) that still did not verify: somebody copied the name, not the key.
        """
        by_subject = {tuple(subject): sha for subject, sha in self.roots}
        for der in chain:
            names = certificate_names(der)
            if not names:
                continue
            for field in ("subject", "issuer"):
                sha = by_subject.get(tuple(names[field]))
                if sha is not None and (field == "issuer" or _sha256(der) != sha):
                    return _attribute(names[field], "CN") or format_name(names[field])
        return None


def load_trust(settings):
    """The :class:`Trust` of ``mdeprereq:connectivity:roots``, else of the shipped roots.

    :raises RootsError: the file can't be read or holds no certificate
    """
    path = settings.connectivity_roots
    if path is None:
        return Trust("the shipped roots", roots.shipped_bundle())
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            text = handle.read(MAX_ROOTS_FILE + 1)
    except OSError as exc:
        raise RootsError(
            f"mdeprereq:connectivity:roots: {path} can't be read ({exc.strerror or exc})"
        ) from None
    if len(text) > MAX_ROOTS_FILE:
        raise RootsError(f"mdeprereq:connectivity:roots: {path} is over {MAX_ROOTS_FILE} bytes")
    try:
        return Trust(path, text)
    except (ssl.SSLError, ValueError) as exc:
        raise RootsError(
            f"mdeprereq:connectivity:roots: {path} holds no PEM certificates ({exc})"
        ) from None


def system_context():
    """What the operating system's store trusts (OpenSSL's defaults, so SSL_CERT_FILE counts)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    return context


# -- probing one URL -------------------------------------------------------------------------------
def _unverified_context():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _inspection(attempt, trust, failure, system):
    """The entry fields of a chain that does not verify to ``trust``: whose chain is it?

    Two more handshakes (bounded by the same deadline): one verified by the system store (if it
    trusts the chain, the verified chain names the CA it trusts), else an unverified one for the
    chain the server presented.
    """
    trusted_by_system, chain, why = False, [], ""
    try:
        _leaf, chain = attempt.handshake(system)
        trusted_by_system = True
    except ProxyURLError as second:
        why = f"; the chain could not be read: {second}"
    except _ProbeFailure as second:
        if second.verify_code is not None:
            try:
                _leaf, chain = attempt.handshake(_unverified_context())
            except (_ProbeFailure, ProxyURLError) as third:
                why = f"; the chain could not be read: {third}"
        else:
            why = f"; the chain could not be read: {second.detail}"
    names = [certificate_names(der) for der in chain]
    names = [name for name in names if name]
    if trusted_by_system and names:
        ca = format_name(names[-1]["subject"])
        trusted = f"; the system CA store trusts it through {ca!r}"
    elif names:
        ca = format_name(names[-1]["issuer"])
        trusted = "; the system CA store does not trust it either"
    else:
        ca = None
        trusted = ""
    impostor = trust.impostor_of(chain)
    copied = f" ({ca!r} copies the name of {impostor!r} but not its key)" if impostor else ""
    issued = f"it was issued by {ca!r}{copied}" if ca else "its issuer is unknown"
    detail = (
        f"{INSPECTION_MESSAGE} (the chain of {attempt.host} does not verify to the trusted roots: "
        f"{failure.detail}; {issued}{trusted}{why})"
    )
    return {
        "result": INSPECTION,
        "detail": detail,
        "inspected_by": ca,
        "trusted_by_system": trusted_by_system,
        "impostor_of": impostor,
    }


def _new_entry(url):
    return {
        "url": url,
        "host": None,
        "port": None,
        "result": None,
        "detail": "",
        "issuer": None,
        "root": None,
        "inspected_by": None,
        "elapsed": None,
    }


def probe_url(
    url,
    proxy=None,
    timeout=data.CONNECTIVITY_TIMEOUT,
    trust=None,
    *,
    system=None,
    deadline=None,
    progress=None,
):
    """Resolve, connect (CONNECT through ``proxy``) and complete a TLS handshake verified by key.

    :param trust: the :class:`Trust` (default: the shipped roots); the chain must verify to one of
        its roots. A chain that doesn't (it ends in another CA, or in one copying a root's name)
        is :data:`INSPECTION`; an expired, not yet valid or wrong-host certificate is :data:`TLS`.
    :param system: the context of the operating system's store (default :func:`system_context`),
        asked only to name the CA of an inspected chain; it never makes a chain genuine
    :param deadline: a :func:`time.monotonic` time by which to give up (default: now + timeout)
    :param progress: a dict in which the current stage is kept, for a caller that stops waiting
    :returns: ``{"url", "host", "port", "result", "detail", "issuer", "root", "inspected_by",
        "elapsed"}`` (plus ``trusted_by_system`` and ``impostor_of`` for inspection); ``result``
        is one of :data:`RESULTS`
    """
    start = time.monotonic()
    entry = _new_entry(url)
    try:
        host, port = url_address(url)
    except ValueError as exc:  # not a usable URL
        entry.update(result=DNS, detail=f"not a URL with a host name: {exc}", elapsed=0.0)
        return entry
    entry.update(host=host, port=port)
    trust = trust or Trust("the shipped roots", roots.shipped_bundle())
    attempt = _Attempt(
        host=host,
        port=port,
        proxy=proxy,
        timeout=timeout,
        deadline=start + timeout if deadline is None else deadline,
        progress={} if progress is None else progress,
    )
    try:
        leaf, chain = attempt.handshake(trust.context)
        top = certificate_names(chain[-1]) if chain else None
        root = (_attribute(top["subject"], "CN") or format_name(top["subject"])) if top else None
        entry.update(
            result=OK,
            detail=f"verified TLS handshake, chain ends in {root or 'a trusted root'}",
            issuer=issuer_organization_from_der(leaf),
            root=root,
        )
    except ProxyURLError as exc:
        entry.update(result=PROXY, detail=f"the proxy is unusable: {exc}")
    except _ProbeFailure as failure:
        entry.update(result=failure.result, detail=failure.detail)
        if failure.verify_code in NOT_TRUSTED_CHAIN_CODES:
            entry.update(_inspection(attempt, trust, failure, system or system_context()))
    entry["elapsed"] = round(time.monotonic() - start, 3)
    return entry


def probe_all(urls, proxy, timeout, trust=None, system=None):
    """Probe every URL at once, each in its own thread, all bounded by one ``timeout``.

    A probe still blocked past the deadline (plus :data:`JOIN_GRACE`) is reported as a timeout at
    the stage it had reached and left behind (a daemon thread).
    """
    start = time.monotonic()
    deadline = start + timeout
    trust = trust or Trust("the shipped roots", roots.shipped_bundle())
    system = system or system_context()
    slots = []
    for url in urls:
        progress, box = {"stage": "dns"}, {}

        def run(url=url, progress=progress, box=box):
            try:
                box["entry"] = probe_url(
                    url,
                    proxy,
                    timeout,
                    trust,
                    system=system,
                    deadline=deadline,
                    progress=progress,
                )
            except Exception as exc:  # noqa: BLE001 - a check never raises; report it per URL
                box["entry"] = _failed_entry(
                    url, TLS, f"the probe failed: {type(exc).__name__}: {exc}"
                )

        thread = threading.Thread(target=run, name="mdeprereq-probe", daemon=True)
        try:
            thread.start()
        except RuntimeError as exc:
            box["entry"] = _failed_entry(url, TIMEOUT, f"could not start a probe thread: {exc}")
            thread = None
        slots.append((url, thread, progress, box))
    entries = []
    for url, thread, progress, box in slots:
        if thread is not None:
            thread.join(max(0.0, deadline + JOIN_GRACE - time.monotonic()))
        entry = box.get("entry")
        if entry is None:
            stage = progress.get("stage", "dns")
            entry = _failed_entry(
                url, TIMEOUT, f"no answer within {timeout:g}s {_STAGES.get(stage, stage)}"
            )
            entry["elapsed"] = round(time.monotonic() - start, 3)
        entries.append(entry)
    return entries


def _failed_entry(url, result, detail):
    entry = _new_entry(url)
    try:
        entry["host"], entry["port"] = url_address(url)
    except ValueError:
        pass
    entry.update(result=result, detail=detail)
    return entry
