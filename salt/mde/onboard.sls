{#- The onboarding blob (a secret: never shown in output or diffs), then wait until licensed.
    With the systemd check waived (an image built in a chroot or container) mdatp's daemon is
    not running, and without it the CLI can't answer ("Could not connect to the daemon"):
    the blob is written and the device onboards when mdatp first starts, at first boot. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde, paths, waived with context %}

include:
  - .install

mde-onboard-offboard-json-absent:
  file.absent:
    - name: {{ paths.offboard }}
    - require:
      - pkg: mde-install-pkg-installed

mde-onboard-json-managed:
{%- if mde.onboarding.source or mde.onboarding.contents %}
  file.managed:
    - name: {{ paths.onboard }}
  {%- if mde.onboarding.source %}
    - source: {{ mde.onboarding.source | yaml_dquote }}
  {%- else %}
    {#- read from pillar at apply time: the blob never appears in the rendered SLS #}
    - contents_pillar: mdeprereq:onboarding:contents
  {%- endif %}
    - user: root
    - group: root
    - mode: "0600"
    - makedirs: True
    - show_changes: False
    - require:
      - file: mde-onboard-offboard-json-absent
{%- else %}
  test.fail_without_changes:
    - name: {{ paths.onboard }}
    - comment: "Set mdeprereq:onboarding:source (a salt:// URL) or mdeprereq:onboarding:contents in pillar"
{%- endif %}

mde-onboard-licensed:
{%- if "systemd" in waived %}
  test.succeed_without_changes:
    - name: mdatp
    - comment: {{ ("systemd is waived (" ~ waived.systemd ~ "): " ~ paths.onboard ~ " is in place; "
                   ~ "mdatp is not running, so the device onboards when mdatp first starts "
                   ~ "(at first boot)") | yaml_dquote }}
    - require:
      - mde-onboard-json-managed
      - mde-install-service-running
{%- else %}
  mdeprereq.licensed:
    - name: mdatp
    - timeout: {{ mde.licensed_timeout }}
    - require:
      - mde-onboard-json-managed
      - mde-install-service-running
{%- endif %}
