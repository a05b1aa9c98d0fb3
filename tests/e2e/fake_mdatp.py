"""A TEST DOUBLE of Microsoft Defender for Endpoint's ``mdatp`` Debian package.

THIS IS NOT MICROSOFT'S PRODUCT. ``build_deb`` makes, with ``dpkg-deb --build`` and no network, a
stand-in package named ``mdatp`` that protects nothing, talks to no cloud and holds no Microsoft
code. It exists so that the end-to-end tests can add a Microsoft-shaped apt repository, install
``mdatp``, onboard it and configure it on a test machine, and look at the result through the
same commands and files as on a real server.

What the package installs:

``/usr/bin/mdatp``
    A POSIX sh script (no Python, no jq) answering like the real command-line tool:

    - ``mdatp health`` (``name<padding>: value`` lines), ``mdatp health --output json`` (one
      JSON object) and ``mdatp health --field NAME`` (that value, printed as the real CLI
      prints it: ``true``, ``"101.25042.0003"``, ``["missing license"]``; exit code 0; unknown
      field: message on stderr, exit code 1). Fields: ``HEALTH_FIELDS``.
    - ``licensed`` is true (``healthy`` true, ``health_issues`` empty, ``org_id`` the orgId of the
      blob) only while ``/etc/opt/microsoft/mdatp/mdatp_onboard.json`` exists, is readable and
      has an ``onboardingInfo`` key, and ``mdatp_offboard.json`` beside it does not exist.
      Otherwise ``licensed`` false, ``healthy`` false, ``health_issues`` ``["missing license"]``,
      ``org_id`` ``""``; the plain and ``--field`` output then starts with the line ``NO_LICENSE``
      (``ATTENTION: No license found. ...``), as Microsoft's pages show the real CLI does (its
      own tools and community scripts take the last line); ``--output json`` stays pure JSON.
    - ``passive_mode_enabled`` / ``real_time_protection_enabled`` follow the managed setting
      ``antivirusEngine.enforcementLevel`` (``/etc/opt/microsoft/mdatp/managed/mdatp_managed.json``)
      (read with grep/sed: the first ``"enforcementLevel"`` whose value is ``real_time``,
      ``on_demand`` or ``passive``; ``networkProtection``'s ``audit``/``block``/``disabled`` never
      match). Without it the default is passive (Microsoft's default since 101.23062.0001).
      A value taken from the managed file is tagged `` [managed]`` in the plain output only.
    - ``mdatp config proxy set --value URL`` / ``mdatp config proxy clear`` store the local proxy
      in ``/var/opt/microsoft/mdatp/wdavcfg`` (under the product's state directory; the content
      is the double's own one-line JSON ``{"cloudService":{"proxy":"URL"}}``) and print
      ``Configuration property updated.``. Read it back with ``mdatp health --field cloud_proxy``
      (``"URL"``, or ``""`` when none): a field of THIS DOUBLE ONLY, not of the real CLI. The
      managed ``cloudService.proxy`` wins over the local value, as managed settings do.
    - ``mdatp version``: ``Product version: <app_version>``.
    - Anything else: usage on stderr, exit code 2.
    - Like the real CLI, a client of the daemon: while ``wdavdaemon`` is not running (no live
      process named ``wdavdaemon`` has its pid in ``DAEMON_PID_FILE``), ``health``, ``config``
      and ``version`` print ``NO_DAEMON`` on stderr, nothing on stdout, and exit 1.
      ``MDATP_TEST_ROOT``, when set, prefixes every path it reads or writes (only this double's
      own tests set it).

``/opt/microsoft/mdatp/sbin/wdavdaemon``
    A small static executable compiled from ``WDAVDAEMON_C`` when the package is built (so that,
    as for the real daemon, ``/proc/<pid>/exe`` of the running daemon is this path). It runs
    until SIGTERM, holds a fanotify fd (notification class, a mark on
    ``/etc/opt/microsoft/mdatp``: it never blocks any file access) and keeps its pid in
    ``DAEMON_PID_FILE`` while it runs; a second one refuses to start. ``daemon_running()``
    starts and stops one by its pid where no systemd does.
``/lib/systemd/system/mdatp.service``
    A unit whose ``ExecStart`` is wdavdaemon.
``/etc/opt/microsoft/mdatp/``
    The (empty) configuration directory.

Maintainer scripts, the essentials of the real package's:

- postinst (configure): creates the system user ``mdatp`` with ids the system picks
  (``useradd --system --no-create-home --user-group --shell /usr/sbin/nologin mdatp``) only when
  no user ``mdatp`` exists; an existing ``mdatp`` group (an admin's) becomes its primary group.
  With systemd running it enables and starts ``mdatp.service``, as the real package does (the
  realism review, section 4); without systemd (a chroot, a container, this CI) it starts
  nothing. A missing ``systemctl`` or a failing one never fails the install.
- prerm: stops ``mdatp.service`` when systemd is running (never fails).
- postrm purge: removes ``/opt/microsoft/mdatp`` and ``/var/opt/microsoft/mdatp`` (what the
  product creates at run time: the local settings) and then ``/opt/microsoft`` and
  ``/var/opt/microsoft`` if empty. It keeps the ``mdatp`` user and group, and everything under
  ``/etc/opt/microsoft/mdatp`` that the admin put there (onboarding and offboarding blobs,
  ``managed/mdatp_managed.json``): dpkg removes that directory only when it is empty (and with
  it ``/etc/opt/microsoft`` and ``/etc/opt`` when they are empty and no other package owns them).
"""

import calendar
import contextlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import uuid

PACKAGE = "mdatp"
DEFAULT_DEPENDS = "libc6 (>= 2.23)"
ONBOARD_JSON = "/etc/opt/microsoft/mdatp/mdatp_onboard.json"
OFFBOARD_JSON = "/etc/opt/microsoft/mdatp/mdatp_offboard.json"
MANAGED_JSON = "/etc/opt/microsoft/mdatp/managed/mdatp_managed.json"
LOCAL_CONFIG = "/var/opt/microsoft/mdatp/wdavcfg"
NO_LICENSE = "ATTENTION: No license found. Contact your administrator for help."
# What the CLI says (on stderr, exit code 1) while wdavdaemon is not running. The words are those
# of the issue and of Microsoft's installer, which logs "Could not connect to the daemon -- MDE is
# not ready to connect yet." when ``mdatp health`` fails (microsoft/mdatp-xplat
# linux/installation/mde_installer.sh, print_state); no public sample shows the real CLI's exact
# line or exit code, only that it is not 0 (the installer tests the exit status).
NO_DAEMON = "Could not connect to the daemon"
# Where the double's daemon records its pid (no public source shows how the real CLI finds its
# daemon: this is the double's own way, under the run directory so that it can't outlive a boot)
DAEMON_PID_FILE = "/run/wdavdaemon.pid"
# The directory the double's daemon puts its one fanotify mark on
DAEMON_WATCHED_DIR = "/etc/opt/microsoft/mdatp"
DAEMON = "/opt/microsoft/mdatp/sbin/wdavdaemon"
PROXY_UPDATED = "Configuration property updated."
# Fields of ``mdatp health`` (the real CLI has many more); cloud_proxy is the double's own
HEALTH_FIELDS = (
    "healthy",
    "health_issues",
    "licensed",
    "org_id",
    "conflicting_applications",
    "app_version",
    "release_ring",
    "product_expiration",
    "passive_mode_enabled",
    "real_time_protection_enabled",
    "real_time_protection_subsystem",
    "supplementary_events_subsystem",
    "definitions_status",
    "cloud_proxy",
)
# Release ring per channel of packages.microsoft.com (the package version's suffix there)
RELEASE_RINGS = {"prod": "Production", "insiders-fast": "InsiderFast", "insiders-slow": "External"}
DESCRIPTION = """\
TEST DOUBLE of Microsoft Defender for Endpoint - NOT Microsoft's product
 THIS PACKAGE IS A TEST DOUBLE built by the mdeprereq test suite. It is NOT
 Microsoft Defender for Endpoint, holds no Microsoft code and protects nothing.
 .
 It only answers a few mdatp commands (health, config proxy, version) the way
 the real command-line tool does, so that deployment code can be tested on a
 machine that cannot reach Microsoft."""

MDATP_CLI = r"""#!/bin/sh
# mdatp: TEST DOUBLE of the command-line tool of Microsoft Defender for Endpoint on Linux.
# NOT MICROSOFT'S PRODUCT: built by the mdeprereq test suite (tests/e2e/fake_mdatp.py); it
# protects nothing and talks to no cloud, it only answers like the real CLI.
set -u

VERSION='@VERSION@'
APP_VERSION='@APP_VERSION@'
RELEASE_RING='@RELEASE_RING@'
PRODUCT_EXPIRATION='@PRODUCT_EXPIRATION@'

# MDATP_TEST_ROOT prefixes every path (only the double's own tests set it)
ROOT=${MDATP_TEST_ROOT:-}
CONF_DIR=$ROOT/etc/opt/microsoft/mdatp
ONBOARD=$CONF_DIR/mdatp_onboard.json
OFFBOARD=$CONF_DIR/mdatp_offboard.json
MANAGED=$CONF_DIR/managed/mdatp_managed.json
STATE_DIR=$ROOT/var/opt/microsoft/mdatp
LOCAL_CONFIG=$STATE_DIR/wdavcfg
DAEMON_PID_FILE=$ROOT@DAEMON_PID_FILE@
NO_LICENSE='@NO_LICENSE@'
NO_DAEMON='@NO_DAEMON@'

usage() {
    cat >&2 <<EOF
mdatp (TEST DOUBLE of Microsoft Defender for Endpoint, version $VERSION): unsupported command
Usage:
  mdatp health [--output json | --field <name>]
  mdatp config proxy set --value <url>
  mdatp config proxy clear
  mdatp version
EOF
    exit 2
}

# Like the real CLI, a client of wdavdaemon: nothing to say while the daemon is not running
# (its pid file names no live process called wdavdaemon)
require_daemon() {
    pid=$(head -n 1 "$DAEMON_PID_FILE" 2>/dev/null) || pid=''
    case $pid in
        '' | *[!0-9]*) ;;
        *) [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = wdavdaemon ] && return 0 ;;
    esac
    printf '%s\n' "$NO_DAEMON" >&2
    exit 1
}

licensed() {
    [ -f "$ONBOARD" ] && [ -r "$ONBOARD" ] && [ ! -e "$OFFBOARD" ] &&
        grep -q '"onboardingInfo"[[:space:]]*:' "$ONBOARD" 2>/dev/null
}

# The orgId of the onboarding blob (JSON nested in JSON strings: drop quotes and backslashes)
org_id() {
    tr -d '\\" \t\r\n' <"$ONBOARD" 2>/dev/null |
        sed -n 's/.*orgIds*:\[*\([0-9A-Fa-f-]\{36\}\).*/\1/p' | head -n 1
}

# The first string value of key $2 in JSON file $1 that matches the extended regex $3
json_string() {
    [ -r "$1" ] || return 0
    tr -d ' \t\r\n' <"$1" 2>/dev/null | grep -oE "\"$2\":\"$3\"" | head -n 1 |
        sed 's/^"[^"]*":"\(.*\)"$/\1/'
}

compute() {
    if licensed; then
        LICENSED=true HEALTHY=true ISSUES='[]' ORG=$(org_id)
    else
        LICENSED=false HEALTHY=false ISSUES='["missing license"]' ORG=''
    fi
    LEVEL=$(json_string "$MANAGED" enforcementLevel '(real_time|on_demand|passive)')
    LEVEL_TAG=' [managed]'
    if [ -z "$LEVEL" ]; then
        LEVEL=passive LEVEL_TAG=''
    fi
    PASSIVE=false RTP=false
    case $LEVEL in
        passive) PASSIVE=true ;;
        real_time) RTP=true ;;
    esac
    PROXY=$(json_string "$MANAGED" proxy '[^"]*')
    PROXY_TAG=' [managed]'
    if [ -z "$PROXY" ]; then
        PROXY=$(json_string "$LOCAL_CONFIG" proxy '[^"]*') PROXY_TAG=''
    fi
}

FIELDS='healthy health_issues licensed org_id conflicting_applications app_version release_ring
product_expiration passive_mode_enabled real_time_protection_enabled
real_time_protection_subsystem supplementary_events_subsystem definitions_status cloud_proxy'

# Sets KIND (raw: printed as is; string: quoted), VALUE and TAG of field $1; 1 if unknown
lookup() {
    TAG=''
    case $1 in
        healthy) KIND=raw VALUE=$HEALTHY ;;
        health_issues) KIND=raw VALUE=$ISSUES ;;
        licensed) KIND=raw VALUE=$LICENSED ;;
        org_id) KIND=string VALUE=$ORG ;;
        conflicting_applications) KIND=raw VALUE='[]' ;;
        app_version) KIND=string VALUE=$APP_VERSION ;;
        release_ring) KIND=string VALUE=$RELEASE_RING ;;
        product_expiration) KIND=date VALUE=$PRODUCT_EXPIRATION ;;
        passive_mode_enabled) KIND=raw VALUE=$PASSIVE TAG=$LEVEL_TAG ;;
        real_time_protection_enabled) KIND=raw VALUE=$RTP TAG=$LEVEL_TAG ;;
        real_time_protection_subsystem) KIND=string VALUE=fanotify ;;
        supplementary_events_subsystem) KIND=string VALUE=ebpf ;;
        definitions_status) KIND=string VALUE=up_to_date ;;
        cloud_proxy) KIND=string VALUE=$PROXY TAG=$PROXY_TAG ;;
        *) return 1 ;;
    esac
}

# Plain output: strings quoted, a date as is (as the real CLI prints product_expiration)
plain() {
    case $KIND in
        string) printf '"%s"' "$VALUE" ;;
        *) printf '%s' "$VALUE" ;;
    esac
}

health_json() {
    sep='{'
    for name in $FIELDS; do
        lookup "$name"
        case $KIND in
            raw) printf '%s\n  "%s": %s' "$sep" "$name" "$VALUE" ;;
            *) printf '%s\n  "%s": "%s"' "$sep" "$name" "$VALUE" ;;
        esac
        sep=','
    done
    printf '\n}\n'
}

health() {
    compute
    case $# in
        0)
            [ "$LICENSED" = true ] || printf '%s\n' "$NO_LICENSE"
            for name in $FIELDS; do
                lookup "$name"
                printf '%-44s: %s%s\n' "$name" "$(plain)" "$TAG"
            done
            ;;
        2)
            case $1 in
                --output) [ "$2" = json ] || usage; health_json ;;
                --field)
                    if ! lookup "$2"; then
                        printf 'Unknown field: %s\n' "$2" >&2
                        exit 1
                    fi
                    [ "$LICENSED" = true ] || printf '%s\n' "$NO_LICENSE"
                    printf '%s\n' "$(plain)"
                    ;;
                *) usage ;;
            esac
            ;;
        *) usage ;;
    esac
}

store_proxy() {
    mkdir -p "$STATE_DIR" || exit 1
    tmp=$LOCAL_CONFIG.tmp.$$
    if [ -n "$1" ]; then
        printf '{"cloudService":{"proxy":"%s"}}\n' "$1" >"$tmp"
    else
        printf '{}\n' >"$tmp"
    fi || { rm -f "$tmp"; exit 1; }
    mv -f "$tmp" "$LOCAL_CONFIG" || { rm -f "$tmp"; exit 1; }
    echo 'Configuration property updated.'
}

config_proxy() {
    case $* in
        'clear') store_proxy '' ;;
        'set --value '*)
            [ $# -eq 3 ] || usage
            case $3 in
                '' | *[\"\\]* | *[![:graph:]]*)
                    printf 'Invalid proxy address: %s\n' "$3" >&2
                    exit 1
                    ;;
            esac
            store_proxy "$3"
            ;;
        *) usage ;;
    esac
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
    health)
        require_daemon
        health "$@"
        ;;
    config)
        [ "${1:-}" = proxy ] || usage
        shift
        require_daemon
        config_proxy "$@"
        ;;
    version)
        [ $# -eq 0 ] || usage
        require_daemon
        printf 'Product version: %s\n' "$APP_VERSION"
        ;;
    *) usage ;;
esac
"""

WDAVDAEMON_C = r"""/*
 * wdavdaemon: TEST DOUBLE of Microsoft Defender for Endpoint's daemon (mdeprereq test suite).
 * NOT MICROSOFT'S PRODUCT: built by tests/e2e/fake_mdatp.py; it protects nothing and scans
 * nothing. Like the real daemon it runs for as long as its service does and holds a fanotify
 * file descriptor (notification class, one mark on the product's configuration directory, no
 * permission events: it can never block a file access). It records its pid in PID_FILE, which
 * the double's mdatp CLI reads to know whether its daemon is there to answer.
 * MDATP_TEST_ROOT, when set, prefixes its paths (only the double's own tests set it). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#define PID_FILE "@PID_FILE@"
#define WATCHED_DIR "@WATCHED_DIR@"

#define BANNER "wdavdaemon: TEST DOUBLE of Microsoft Defender for Endpoint's daemon, NOT " \
    "Microsoft's product (mdeprereq test suite)"

static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

/* Whether pid file `path` names a live process whose name is wdavdaemon (not this one) */
static int other_daemon_running(const char *path)
{
    char buf[64], comm_path[64];
    FILE *file = fopen(path, "r");
    long pid;
    if (!file)
        return 0;
    pid = fgets(buf, sizeof buf, file) ? strtol(buf, NULL, 10) : 0;
    fclose(file);
    if (pid <= 0 || pid == (long)getpid())
        return 0;
    snprintf(comm_path, sizeof comm_path, "/proc/%ld/comm", pid);
    file = fopen(comm_path, "r");
    if (!file)
        return 0;
    buf[0] = '\0';
    if (!fgets(buf, sizeof buf, file))
        buf[0] = '\0';
    fclose(file);
    return strcmp(buf, "wdavdaemon\n") == 0;
}

int main(void)
{
    const char *root = getenv("MDATP_TEST_ROOT");
    char pid_path[PATH_MAX], tmp_path[PATH_MAX + 16], watched[PATH_MAX], buf[4096];
    struct sigaction action;
    struct pollfd poller;
    FILE *file;
    int fan;

    fprintf(stderr, "%s\n", BANNER);
    root = root ? root : "";
    snprintf(pid_path, sizeof pid_path, "%s%s", root, PID_FILE);
    snprintf(watched, sizeof watched, "%s%s", root, WATCHED_DIR);
    if (other_daemon_running(pid_path)) {
        fprintf(stderr, "wdavdaemon (test double): already running (%s)\n", pid_path);
        return 1;
    }
    fan = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);
    if (fan < 0) {
        fprintf(stderr, "wdavdaemon (test double): fanotify_init: %s\n", strerror(errno));
        return 1;
    }
    if (fanotify_mark(fan, FAN_MARK_ADD, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD, AT_FDCWD,
                      watched) < 0)
        fprintf(stderr, "wdavdaemon (test double): no mark on %s: %s\n", watched,
                strerror(errno));

    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGHUP, &action, NULL);

    snprintf(tmp_path, sizeof tmp_path, "%s.%ld", pid_path, (long)getpid());
    file = fopen(tmp_path, "w");
    if (!file || fprintf(file, "%ld\n", (long)getpid()) < 0 || fclose(file) != 0 ||
        rename(tmp_path, pid_path) != 0) {
        fprintf(stderr, "wdavdaemon (test double): cannot write %s: %s\n", pid_path,
                strerror(errno));
        unlink(tmp_path);
        return 1;
    }

    poller.fd = fan;
    poller.events = POLLIN;
    while (!stopping) {
        if (poll(&poller, 1, -1) <= 0)
            continue;
        /* read the events and close the fd each one carries */
        for (;;) {
            ssize_t len = read(fan, buf, sizeof buf);
            struct fanotify_event_metadata *event = (struct fanotify_event_metadata *)buf;
            if (len <= 0)
                break;
            for (; FAN_EVENT_OK(event, len); event = FAN_EVENT_NEXT(event, len))
                if (event->fd >= 0)
                    close(event->fd);
        }
    }
    if (!other_daemon_running(pid_path))
        unlink(pid_path);
    return 0;
}
"""

SERVICE_UNIT = """\
# TEST DOUBLE of Microsoft Defender for Endpoint's unit (mdeprereq test suite), not Microsoft's
[Unit]
Description=Microsoft Defender for Endpoint TEST DOUBLE (not Microsoft's product)
After=network-online.target

[Service]
Type=simple
WorkingDirectory=/opt/microsoft/mdatp/sbin
ExecStart=/opt/microsoft/mdatp/sbin/wdavdaemon
Restart=always

[Install]
WantedBy=multi-user.target
"""

POSTINST = """#!/bin/sh
# postinst of the mdatp TEST DOUBLE (mdeprereq test suite), not Microsoft's script
set -e
case "$1" in
    configure)
        # Like the real package: a system user with ids the system picks, unless the admin
        # created one first (to choose its ids); an existing mdatp group becomes its group
        if ! getent passwd mdatp >/dev/null; then
            if getent group mdatp >/dev/null; then
                useradd --system --no-create-home --gid mdatp --shell /usr/sbin/nologin mdatp
            else
                useradd --system --no-create-home --user-group --shell /usr/sbin/nologin mdatp
            fi
        fi
        # Like the real package: with systemd running, enable and (re)start mdatp.service;
        # without it (a chroot, a container) nothing is started. A missing or failing
        # systemctl never fails the install
        if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
            systemctl daemon-reload >/dev/null 2>&1 || true
            systemctl enable mdatp.service >/dev/null 2>&1 || true
            systemctl restart mdatp.service >/dev/null 2>&1 || true
        fi
        ;;
esac
exit 0
"""

PRERM = """#!/bin/sh
# prerm of the mdatp TEST DOUBLE (mdeprereq test suite), not Microsoft's script
case "$1" in
    remove | upgrade | deconfigure)
        if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
            systemctl stop mdatp.service >/dev/null 2>&1 || true
        fi
        ;;
esac
exit 0
"""

POSTRM = """#!/bin/sh
# postrm of the mdatp TEST DOUBLE (mdeprereq test suite), not Microsoft's script
case "$1" in
    purge)
        # What the product makes at run time; the admin's files under /etc/opt/microsoft/mdatp
        # (onboarding blob, managed settings) and the mdatp user stay
        rm -rf /opt/microsoft/mdatp /var/opt/microsoft/mdatp
        rmdir /opt/microsoft /var/opt/microsoft 2>/dev/null || true
        ;;
esac
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
"""


def app_version(version):
    """The product version of a package version: ``101.25042.0003-insiderfast`` ->
    ``101.25042.0003`` (the insiders channels add a Debian revision)."""
    return version.split("-", 1)[0]


def product_expiration(version):
    """Nine months after the release month that ``101.YYMMx.zzzz`` encodes, printed the way the
    real CLI prints dates (``Jan 01, 2026 at 12:00:00 AM``)."""
    try:
        build = app_version(version).split(".")[1]
        year, month = 2000 + int(build[:2]), int(build[2:4])
    except (IndexError, ValueError):
        return "unavailable"
    if not 1 <= month <= 12:
        return "unavailable"
    month += 9
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return f"{calendar.month_abbr[month]} 01, {year} at 12:00:00 AM"


def host_architecture():
    """dpkg's architecture of this machine (``amd64``, ``arm64``, ...)."""
    result = subprocess.run(
        ["dpkg", "--print-architecture"], check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


def cli_script(version, release_ring="Production"):
    """The text of the double's ``/usr/bin/mdatp`` for package version ``version``."""
    for value in (version, release_ring):
        if not value or any(char in value for char in "'\\\n"):
            raise ValueError(f"unsafe value for the mdatp script: {value!r}")
    return (
        MDATP_CLI.replace("@VERSION@", version)
        .replace("@APP_VERSION@", app_version(version))
        .replace("@RELEASE_RING@", release_ring)
        .replace("@PRODUCT_EXPIRATION@", product_expiration(version))
        .replace("@NO_LICENSE@", NO_LICENSE)
        .replace("@NO_DAEMON@", NO_DAEMON)
        .replace("@DAEMON_PID_FILE@", DAEMON_PID_FILE)
    )


def daemon_source():
    """The C text of the double's ``wdavdaemon``."""
    return WDAVDAEMON_C.replace("@PID_FILE@", DAEMON_PID_FILE).replace(
        "@WATCHED_DIR@", DAEMON_WATCHED_DIR
    )


def compile_daemon(out):
    """Compile the double's ``wdavdaemon`` to ``out``: a static executable of this machine's
    architecture, so that ``/proc/<pid>/exe`` of the running daemon is
    ``/opt/microsoft/mdatp/sbin/wdavdaemon`` itself, as for the real daemon (the checks tell
    mdatp's own fanotify holder by that path), and it runs in any Linux tree (Debian guests, RPM
    chroots) without libraries. Needs gcc and libc6-dev (tools/debian-packages.txt)."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError(
            "gcc is missing: the mdatp test double's wdavdaemon is compiled from C "
            "(tools/test installs gcc and libc6-dev, see tools/debian-packages.txt)"
        )
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    source = out.parent / "wdavdaemon.c"
    source.write_text(daemon_source())
    try:
        subprocess.run(
            [compiler, "-static", "-Os", "-s", "-Wall", "-Werror", "-o", str(out), str(source)],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"compiling the double's wdavdaemon failed:\n{exc.stderr}") from exc
    finally:
        source.unlink()
    out.chmod(0o755)
    return out


@contextlib.contextmanager
def daemon_running(daemon=DAEMON, *, env=None, timeout=10):
    """Start the double's ``wdavdaemon`` at ``daemon`` (as ``mdatp.service`` would) and stop it
    afterwards, by its own pid. ``env`` (e.g. with ``MDATP_TEST_ROOT``) is its environment.
    Yields the ``subprocess.Popen``; raises RuntimeError if it does not come up (its stderr)."""
    env = dict(os.environ if env is None else env)
    pid_file = pathlib.Path(env.get("MDATP_TEST_ROOT", "") + DAEMON_PID_FILE)
    process = subprocess.Popen(
        [str(daemon)], env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + timeout
        while not _names_pid(pid_file, process.pid):
            if process.poll() is not None:
                raise RuntimeError(
                    f"{daemon} exited {process.returncode}: {process.stderr.read().strip()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{daemon} did not write {pid_file} in {timeout} s")
            time.sleep(0.02)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        process.stderr.close()


def _names_pid(pid_file, pid):
    try:
        return pid_file.read_text().strip() == str(pid)
    except OSError:
        return False


def _write(path, text, mode):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def build_deb(
    version,
    out_dir,
    *,
    architecture=None,
    release_ring="Production",
    depends=DEFAULT_DEPENDS,
):
    """Build the TEST DOUBLE ``mdatp_<version>_<arch>.deb`` into ``out_dir``; return its path.

    :param version: the Debian version (``101.25042.0003``, ``101.25042.0003-insiderfast``)
    :param architecture: ``amd64``, ``all``, ...; default: this machine's (dpkg's)
    :param release_ring: what ``mdatp health --field release_ring`` says
    :param depends: the ``Depends`` field (the real package's differ by version, see
        mde-facts.md; the double only needs libc6)
    """
    architecture = architecture or host_architecture()
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fake-mdatp-") as tmp:
        tree = pathlib.Path(tmp) / "tree"
        _write(tree / "usr/bin/mdatp", cli_script(version, release_ring), 0o755)
        compile_daemon(tree / "opt/microsoft/mdatp/sbin/wdavdaemon")
        _write(tree / "lib/systemd/system/mdatp.service", SERVICE_UNIT, 0o644)
        (tree / "etc/opt/microsoft/mdatp").mkdir(parents=True)
        size = sum(path.stat().st_size for path in tree.rglob("*") if path.is_file())
        control = {
            "Package": PACKAGE,
            "Version": version,
            "Architecture": architecture,
            "Maintainer": "mdeprereq test suite <mdeprereq-tests@example.invalid>",
            "Installed-Size": str(max(1, (size + 1023) // 1024)),
            "Depends": depends,
            "Section": "misc",
            "Priority": "optional",
            "Description": DESCRIPTION,
        }
        debian = tree / "DEBIAN"
        _write(debian / "control", "".join(f"{k}: {v}\n" for k, v in control.items()), 0o644)
        for name, text in (("postinst", POSTINST), ("prerm", PRERM), ("postrm", POSTRM)):
            _write(debian / name, text, 0o755)
        for path in [tree, *tree.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        deb = out_dir / f"{PACKAGE}_{version}_{architecture}.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree), str(deb)],
            check=True,
            capture_output=True,
            text=True,
        )
    return deb


def onboarding_blob(org_id=None, *, geo="US", datacenter="WestUs2"):
    """An onboarding JSON shaped like the one in Microsoft's portal package (fake values, no
    signature that anything could check), as the text of ``mdatp_onboard.json``::

        {"onboardingInfo": "<JSON string: {"body": "<JSON string: {"previousOrgIds": [],
          "orgId": "<uuid>", "geoLocationUrl": ..., "datacenter": ..., "vortexGeoLocation": ...,
          "vortexServerUrl": ..., "partnerGeoLocation": ..., "version": "1.7",
          "deviceType": "Server", "packageGuid": ...}>", "sig": ..., "sha256sig": ...,
          "cert": ..., "chain": [...]}>"}
    """
    org_id = org_id or str(uuid.uuid4())
    geo_lower = geo.lower()
    body = {
        "previousOrgIds": [],
        "orgId": org_id,
        "geoLocationUrl": f"https://edr-{datacenter.lower()}.{geo_lower}"
        ".endpoint.security.microsoft.com/edr/",
        "datacenter": datacenter,
        "vortexGeoLocation": geo,
        "vortexServerUrl": f"https://{geo_lower}-v20.events.endpoint.security.microsoft.com/OneCollector/1.0",
        "partnerGeoLocation": f"GW_{geo}",
        "version": "1.7",
        "deviceType": "Server",
        "packageGuid": str(uuid.uuid4()),
    }
    info = {
        "body": json.dumps(body, separators=(",", ":")),
        "sig": "VEVTVCBET1VCTEUgLSBub3QgYSBzaWduYXR1cmU=",
        "sha256sig": "VEVTVCBET1VCTEUgLSBub3QgYSBzaWduYXR1cmU=",
        "cert": "VEVTVCBET1VCTEUgLSBub3QgYSBjZXJ0aWZpY2F0ZQ==",
        "chain": ["VEVTVCBET1VCTEUgLSBub3QgYSBjZXJ0aWZpY2F0ZQ=="],
    }
    return json.dumps({"onboardingInfo": json.dumps(info, separators=(",", ":"))}, indent=2)


def extract(deb, dest):
    """Unpack ``deb``'s files (not its maintainer scripts) under ``dest``, like ``dpkg -x``."""
    dest = pathlib.Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(dest)], check=True, capture_output=True)
    return dest
