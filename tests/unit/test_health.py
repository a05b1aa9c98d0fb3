"""The ``mdatp health`` parser on every public sample in tests/unit/mdatp_health/ (README.md there
cites each), and on broken output: an error naming the field, never a crash."""

import datetime
import json
import pathlib

import pytest

from mdeprereq_engine import health

SAMPLES = pathlib.Path(__file__).parent / "mdatp_health"
TODAY = datetime.date(2026, 12, 1)


def sample(name):
    return (SAMPLES / name).read_text()


def test_every_sample_is_cited_and_parses():
    readme = sample("README.md")
    files = sorted(path.name for path in SAMPLES.iterdir() if path.name != "README.md")
    assert len(files) >= 6
    for name in files:
        assert f"`{name}`" in readme, f"{name} is not cited in README.md"
        mapping = health.parse(sample(name), today=TODAY)
        assert set(mapping) == set(health.MAPPING_KEYS), name
        assert mapping["installed"] is True and mapping["daemon_running"] is True


def test_plain_licensed_ubuntu():
    mapping = health.parse(sample("plain-ubuntu20.04-101.23062.0010.txt"), today=TODAY)
    assert mapping["source"] == "plain"
    assert (mapping["healthy"], mapping["licensed"], mapping["health_issues"]) == (True, True, [])
    assert mapping["org_id"] == "b6cafe3e-bf50-4d8d-829a-d68b3fd21827"
    assert mapping["app_version"] == "101.23062.0010"
    assert mapping["engine_version"] == "1.1.23070.1002"
    assert mapping["release_ring"] == "Production"
    assert mapping["product_expiration"] == "2024-04-10"
    assert mapping["expired"] is True  # on TODAY
    assert health.parse(sample("plain-ubuntu20.04-101.23062.0010.txt"),
                        today=datetime.date(2024, 1, 1))["expired"] is False  # fmt: skip
    assert (mapping["passive_mode"], mapping["real_time_protection"]) == (False, True)
    assert mapping["real_time_protection_subsystem"] == "fanotify"
    assert mapping["supplementary_events_subsystem"] == "auditd"
    assert mapping["definitions_status"] == "up_to_date"
    assert mapping["definitions_updated_minutes_ago"] == 159
    assert mapping["definitions_version"] == "1.395.227.0"
    assert mapping["conflicting_applications"] == []
    assert mapping["managed"] == []
    fields = mapping["fields"]
    assert fields["edr_device_tags"] == [] and fields["edr_group_ids"] == ""
    assert fields["troubleshooting_mode"] is False
    assert fields["definitions_updated"] == "Aug 12, 2023 at 03:26:24 AM"
    # the value wrapped onto a second line in the sample is joined back
    assert fields["edr_configuration_version"].endswith("5E773F34")


def test_json_layout_is_the_same_mapping():
    mapping = health.parse(sample("json-glpi-101.23062.0010.json"), today=TODAY)
    assert mapping["source"] == "json"
    assert (mapping["healthy"], mapping["licensed"], mapping["health_issues"]) == (True, True, [])
    assert mapping["app_version"] == "101.23062.0010"
    assert mapping["release_ring"] == "InsiderFast"
    # productExpiration "1712756068000" ms: the same instant the plain sample of the same build
    # prints as "Apr 10, 2024 at 01:34:28 PM"
    assert mapping["product_expiration"] == "2024-04-10"
    assert (mapping["passive_mode"], mapping["real_time_protection"]) == (True, False)
    assert mapping["definitions_status"] == "up_to_date"  # {"$type": "upToDate"}
    assert mapping["definitions_updated_minutes_ago"] == 20
    assert mapping["supplementary_events_subsystem"] == "ebpf"
    assert mapping["fields"]["proxy"] == "None"  # a wrapped setting, unwrapped
    assert "$type" not in mapping["fields"] and "type" not in mapping["fields"]
    plain = health.parse(sample("plain-ubuntu20.04-101.23062.0010.txt"), today=TODAY)
    shared = set(plain["fields"]) & set(mapping["fields"])
    assert {"healthy", "licensed", "passive_mode_enabled", "edr_machine_id"} <= shared


def test_json_is_managed_and_plain_managed_tag():
    data = json.loads(sample("json-glpi-101.23062.0010.json"))
    data["passiveModeEnabled"]["isManaged"] = True
    data["cloudEnabled"]["isManaged"] = True
    mapping = health.parse(json.dumps(data), today=TODAY)
    assert mapping["managed"] == ["cloud_enabled", "passive_mode_enabled"]
    assert mapping["passive_mode"] is True
    # the plain layout's tag (linux-preferences.md, "Verifying that the mdatp_managed.json file
    # is working"), on the sample's own line
    lines = sample("plain-ubuntu20.04-101.23062.0010.txt").splitlines()
    lines = [line + " [managed]" if line.startswith("passive_mode_enabled") else line
             for line in lines]  # fmt: skip
    tagged = health.parse("\n".join(lines), today=TODAY)
    assert tagged["managed"] == ["passive_mode_enabled"] and tagged["passive_mode"] is False


@pytest.mark.parametrize(
    "name",
    ["plain-unlicensed-101.02.55-excerpt.txt", "plain-unlicensed-ubuntu-101.85.27-excerpt.txt"],
)
def test_plain_unlicensed(name):
    mapping = health.parse(sample(name), today=TODAY)
    assert (mapping["healthy"], mapping["licensed"]) == (False, False)
    assert mapping["org_id"] is None  # org_id : unavailable
    assert mapping["expired"] is None  # no date to tell


def test_unlicensed_sample_details():
    mapping = health.parse(sample("plain-unlicensed-101.02.55-excerpt.txt"), today=TODAY)
    assert mapping["product_expiration"] is None  # product_expiration : unavailable
    assert mapping["health_issues"] is None  # that build printed no health_issues
    assert mapping["release_ring"] == "InsiderFast"
    other = health.parse(sample("plain-unlicensed-ubuntu-101.85.27-excerpt.txt"), today=TODAY)
    assert other["health_issues"] == ["missing license"]


def test_expired_build_is_told_apart():
    text = sample("plain-expired-linux-updates.txt")
    mapping = health.parse(text, today=TODAY)
    assert mapping["licensed"] is False and mapping["health_issues"] == ["missing license"]
    assert health.expired_message(mapping) is None  # this excerpt has no date
    dated = text + 'app_version                                 : "101.23062.0010"\n'
    dated += "product_expiration                          : Apr 10, 2024 at 01:34:28 PM\n"
    mapping = health.parse(dated, today=TODAY)
    assert mapping["expired"] is True
    assert health.expired_message(mapping).startswith(
        "mdatp 101.23062.0010 expired on 2024-04-10: upgrade it"
    )


def test_older_build_without_health_issues():
    mapping = health.parse(sample("plain-centos8-101.02.55-excerpt.txt"), today=TODAY)
    assert mapping["licensed"] is True and mapping["health_issues"] is None
    assert mapping["product_expiration"] == "2021-03-22"


@pytest.mark.parametrize(
    ("field", "output", "value"),
    [
        ("licensed", "true\n", True),
        (
            "licensed",
            f"{health.ATTENTION} No license found. Contact your administrator for help.\nfalse\n",
            False,
        ),
        ("health_issues", '["missing license"]\n', ["missing license"]),
        ("app_version", '"101.23062.0010"\n', "101.23062.0010"),
        ("org_id", "unavailable\n", None),
        ("product_expiration", "Apr 10, 2024 at 01:34:28 PM\n", "2024-04-10"),
        ("product_expiration", "unavailable\n", None),
        ("definitions_updated_minutes_ago", "159\n", 159),
        ("release_ring", '"Production"\n', "Production"),
        ("edr_device_tags", "[]\n", []),
    ],
)
def test_field_output(field, output, value):
    assert health.parse_field(field, output) == value


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("healthy                                     : maybe\n", "healthy"),
        ('licensed                                    : "true"\n', "licensed"),
        ('health_issues                               : ["missing\n', "health_issues"),
        ("product_expiration                          : next year\n", "product_expiration"),
        ("definitions_updated_minutes_ago             : true\n", "definitions_updated_minutes_ago"),
        ("this is not mdatp output\n", "line 1"),
        ("", "healthy"),
        ('{"healthy": "yes"}', "healthy"),
        ('{"productExpiration": "soon"}', "product_expiration"),
        ("{not json", "(json)"),
        ("healthy : true\nhealthy : false\n", "healthy"),
    ],
)
def test_unreadable_output_names_the_field(text, field):
    with pytest.raises(health.HealthParseError) as caught:
        health.parse(text, today=TODAY)
    assert caught.value.field == field
    assert repr(field) in str(caught.value)


def test_field_errors_name_the_field():
    with pytest.raises(health.HealthParseError, match="'licensed'"):
        health.parse_field("licensed", "yes\n")
    with pytest.raises(health.HealthParseError, match="'org_id'"):
        health.parse_field("org_id", "\n")


def test_no_daemon_and_unavailable():
    assert health.no_daemon("Could not connect to the daemon\n")
    assert health.no_daemon("Failed to connect")  # MicrosoftDocs/windows-itpro-docs#6154
    assert not health.no_daemon("Unknown field: x")
    mapping = health.unavailable(True, "Could not connect to the daemon")
    assert set(mapping) == set(health.MAPPING_KEYS)
    assert (mapping["installed"], mapping["daemon_running"], mapping["licensed"]) == (
        True,
        False,
        None,
    )


def test_snake_case():
    assert health.snake_case("passiveModeEnabled") == "passive_mode_enabled"
    assert health.snake_case("upToDate") == "up_to_date"
    assert health.snake_case("edrDeviceTags") == "edr_device_tags"
    assert health.snake_case("healthy") == "healthy"


class Cli:
    """``mdatp health <arguments>`` answering from a script: ``answers[tuple(arguments)]`` is
    ``(returncode, stdout, stderr)``; the calls are kept."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, arguments):
        self.calls.append(tuple(arguments))
        return self.answers[tuple(arguments)]


def test_ask_reads_json_then_falls_back_to_the_plain_report():
    json_cli = Cli({("--output", "json"): (0, sample("json-glpi-101.23062.0010.json"), "")})
    mapping = health.ask(json_cli)
    assert (mapping["source"], json_cli.calls) == ("json", [("--output", "json")])
    # an older CLI: --output json is an unknown option, the plain report answers
    plain = sample("plain-ubuntu20.04-101.23062.0010.txt")
    old_cli = Cli({("--output", "json"): (1, "", "unknown option --output"), (): (0, plain, "")})
    mapping = health.ask(old_cli)
    assert (mapping["source"], old_cli.calls) == ("plain", [("--output", "json"), ()])
    assert mapping["app_version"] == "101.23062.0010"


def test_ask_without_command_or_daemon_is_unavailable_and_other_failures_raise():
    assert health.ask(lambda arguments: None)["installed"] is False
    no_daemon = Cli({("--output", "json"): (1, "", "Could not connect to daemon")})
    mapping = health.ask(no_daemon)
    assert (mapping["installed"], mapping["daemon_running"]) == (True, False)
    assert "Could not connect" in mapping["error"]
    broken = Cli({("--output", "json"): (1, "", "boom"), (): (2, "", "boom again")})
    with pytest.raises(health.HealthCommandError, match=r"mdatp health failed \(2\): boom again"):
        health.ask(broken)
    huge = Cli({("--output", "json"): (0, "{" + " " * health.MAX_OUTPUT + "}", "")})
    with pytest.raises(health.HealthCommandError, match="printed"):
        health.ask(huge)
    garbage = Cli({("--output", "json"): (0, "{not json", "")})
    with pytest.raises(health.HealthParseError):
        health.ask(garbage)
