"""Benchmark 4: the connectivity check waits one timeout, not one per URL.

20 URLs, all on 127.0.0.1 (never another address): 15 TLS servers with certificates from a test
CA (trustme, trusted as mdeprereq:connectivity:roots) and 5 blackholed endpoints (a listening
socket with a zero backlog that never accepts: the kernel completes at most one handshake and
drops the rest, so the probes hang in connect or in TLS). Total wall time of
``connectivity.check_connectivity`` against the timeout T.
"""

import contextlib
import os
import socket
import ssl
import statistics
import tempfile
import threading

import trustme

from bench.common import check_figure, figure, main, median, summary, timed
from mdeprereq_engine import connectivity, probe
from mdeprereq_engine.host import Host
from mdeprereq_engine.settings import Settings

DEFAULT_REPEATS = 15
TIMEOUT = 2.0
SERVED = 15
BLACKHOLED = 5
TARGET_FACTOR = 1.2
LOOPBACK = "127.0.0.1"
CA_ORGANIZATION = "mdeprereq bench CA"


class TLSServer:
    """Completes TLS handshakes on 127.0.0.1 with a certificate from the test CA, then closes.

    tests/integration/test_network_real.py has a fuller one of the same shape; this one stays a
    copy on purpose: a benchmark imports no test code (and times nothing a test adds)."""

    def __init__(self, ca):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(LOOPBACK).configure_cert(self.context)
        self.sock = socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.url = f"https://{LOOPBACK}:{self.sock.getsockname()[1]}/"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        self.sock.settimeout(0.1)  # to see self.stopped
        while not self.stopped.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self.handle, args=(client,), daemon=True).start()

    def handle(self, client):
        client.settimeout(5)
        try:
            with self.context.wrap_socket(client, server_side=True):
                pass
        except OSError:
            client.close()

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        self.sock.close()


def blackhole():
    """A listening socket on 127.0.0.1 that never accepts, and its URL."""
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    sock.listen(0)
    return sock, f"https://{LOOPBACK}:{sock.getsockname()[1]}/"


def run(repeats):
    repeats = repeats or DEFAULT_REPEATS
    ca = trustme.CA(organization_name=CA_ORGANIZATION)
    servers = []
    holes = []
    totals, ok_elapsed, outcomes = [], [], []
    try:
        servers.extend(TLSServer(ca) for _ in range(SERVED))
        with tempfile.TemporaryDirectory(prefix="mdeprereq-bench-connectivity-") as root:
            host = Host(root=root, environ={})  # an empty machine: no proxy, no onboarding JSON
            roots_file = os.path.join(root, "test-root.pem")  # the test CA as the trusted root
            ca.cert_pem.write_to_path(roots_file)

            def once():
                # fresh blackholes each time, so every run meets the same empty accept queues
                fresh = [blackhole() for _ in range(BLACKHOLED)]
                holes.extend(sock for sock, _url in fresh)
                urls = [server.url for server in servers] + [url for _sock, url in fresh]
                settings = Settings.from_raw(
                    {
                        "connectivity": {
                            "urls": urls,
                            "timeout": TIMEOUT,
                            "roots": roots_file,
                        }
                    }
                )
                try:
                    return timed(lambda: connectivity.check_connectivity(host, settings))
                finally:
                    for sock, _url in fresh:
                        sock.close()

            once()  # warm-up
            for _ in range(repeats):
                seconds, result = once()
                totals.append(seconds)
                entries = result["facts"]["urls"]
                outcomes.append(
                    {
                        kind: sum(1 for entry in entries if entry["result"] == kind)
                        for kind in probe.RESULTS
                    }
                )
                ok_elapsed.extend(e["elapsed"] for e in entries if e["result"] == probe.OK)
    finally:
        for server in servers:
            server.close()
        for sock in holes:
            with contextlib.suppress(OSError):
                sock.close()

    expected = {**dict.fromkeys(probe.RESULTS, 0), "ok": SERVED, "timeout": BLACKHOLED}
    as_expected = sum(1 for outcome in outcomes if outcome == expected)
    figures = [
        figure(
            "connectivity_total_s",
            f"total for {SERVED + BLACKHOLED} URLs ({BLACKHOLED} blackholed), T = {TIMEOUT:g} s, "
            "median",
            round(median(totals), 3),
            "s",
            round(TARGET_FACTOR * TIMEOUT, 3),
        ),
        figure(
            "connectivity_total_over_t",
            "the same, as a multiple of T",
            round(median(totals) / TIMEOUT, 3),
            "x T",
            TARGET_FACTOR,
        ),
        figure("connectivity_max_s", "total, slowest of the runs", round(max(totals), 3), "s"),
        figure(
            "connectivity_ok_ms",
            "one answering URL's own probe (resolve, connect, verified TLS), median",
            round(statistics.median(ok_elapsed) * 1000, 1),
            "ms",
        ),
        check_figure(
            "connectivity_outcomes",
            f"every run: {SERVED} ok, {BLACKHOLED} timeout",
            as_expected == len(outcomes),
            f"{as_expected}/{len(outcomes)} runs as expected",
        ),
    ]
    return {
        "name": "connectivity",
        "title": "4. Connectivity: 20 URLs, 5 blackholed",
        "method": (
            "connectivity.check_connectivity with mdeprereq:connectivity urls = "
            f"{SERVED} local TLS servers (trustme CA as mdeprereq:connectivity:roots) + "
            f"{BLACKHOLED} blackholed endpoints (listen(0), never accept; new ones each run), "
            f"timeout {TIMEOUT:g} s, all on {LOOPBACK}; {repeats} runs after 1 warm-up."
        ),
        "figures": figures,
        "details": {
            "timeout_s": TIMEOUT,
            "outcome_of_the_first_run": outcomes[:1],
            "join_grace_s": probe.JOIN_GRACE,
        },
        "raw": {"total": summary(totals)},
    }


if __name__ == "__main__":
    main(run, __doc__)
