"""The fleet story on real machines: two Debian 12 machines booted with systemd as PID 1
(systemd-nspawn), two minions of one master on the host with the remediation reactor. Both run
the scheduled check; one is broken on purpose behind Salt's back; the reactor fixes that one and
only that one; ``salt-run mdeprereq.report`` lists both.

Written against what can be seen (the machines' files, the jobs Salt publishes, the report),
not against the reactor's internal wiring, which may change."""

import time

import pytest

from tests.machines.conftest import MDATP_UID, call, machines_up, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.destructive_test,
    pytest.mark.skip_if_not_root,
]

BROKEN, HEALTHY = "mde-machine-a", "mde-machine-b"
NOLOGIN = "/usr/sbin/nologin"


@pytest.fixture(scope="module")
def fleet(machine_tree, machine_master, event_listener, local_client):
    with machines_up(
        [BROKEN, HEALTHY],
        tree=machine_tree,
        master=machine_master,
        event_listener=event_listener,
        client=local_client,
    ) as machines:
        yield machines


def mdatp_account(machine):
    """The mdatp line of the machine's /etc/passwd (read on the host), split; None if absent."""
    for line in (machine.root / "etc/passwd").read_text().splitlines():
        if line.startswith("mdatp:"):
            return line.split(":")
    return None


def test_the_reactor_fixes_the_broken_machine_only_and_the_report_lists_both(
    fleet, machine_master, local_client, event_listener
):
    # both machines get the mdatp user the pillar asks for (the fixing states only)
    for minion_id in fleet:
        applied = call(local_client, minion_id, "state.apply", "mde.remediate")
        assert all(state["result"] for state in applied.values()), applied
        account = mdatp_account(fleet[minion_id])
        assert (int(account[2]), account[-1]) == (MDATP_UID, NOLOGIN), account
    healthy_passwd = (fleet[HEALTHY].root / "etc/passwd").read_bytes()

    # broken on purpose, behind Salt's back: the mdatp user gets a login shell
    fleet[BROKEN].run("usermod", "--shell", "/bin/bash", "mdatp")
    assert mdatp_account(fleet[BROKEN])[-1] == "/bin/bash"

    # the scheduled check on both (mde.schedule runs it when the job is added)
    started = time.time()
    for minion_id in fleet:
        applied = call(local_client, minion_id, "state.apply", "mde.schedule")
        assert all(state["result"] for state in applied.values()), applied
    scheduled = time.time()
    try:
        wait_until(
            lambda: mdatp_account(fleet[BROKEN])[-1] == NOLOGIN,
            300,
            f"the reactor did not give {BROKEN}'s mdatp user its shell back",
        )
        # both scheduled checks returned to the master (the job returns)
        returned = event_listener.wait_for_events(
            [(machine_master.id, f"salt/job/*/ret/{minion_id}") for minion_id in fleet],
            after_time=started,
            timeout=120,
        )
        assert returned.found_all_events, returned.missed
        # nothing was applied to the healthy machine: no state job after the schedule's own
        state_jobs = [
            event.data
            for event in event_listener.get_events(
                [(machine_master.id, "salt/job/*/new")], after_time=scheduled
            )
            if HEALTHY in (event.data.get("minions") or [])
            and str(event.data.get("fun", "")).startswith("state.")
        ]
        assert state_jobs == [], state_jobs
        assert (fleet[HEALTHY].root / "etc/passwd").read_bytes() == healthy_passwd

        report = machine_master.salt_run_cli(timeout=300).run(
            "mdeprereq.report", "show=all", "--out=json"
        )
        assert report.returncode == 0, report
        rows = report.data["minions"]
        assert {BROKEN, HEALTHY} <= set(rows), report.data
        assert report.data["total"] >= 2
        for minion_id in fleet:
            assert rows[minion_id]["distro"].lower().startswith("debian"), rows[minion_id]
            assert "mdatp_user" not in rows[minion_id]["failing"], rows[minion_id]
        assert rows[BROKEN]["remediation"], rows[BROKEN]
        assert not rows[HEALTHY]["remediation"], rows[HEALTHY]
    finally:
        local_client.cmd(
            list(fleet), "schedule.delete", arg=["mdeprereq-check"], tgt_type="list", timeout=60
        )
