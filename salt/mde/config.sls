{#- Managed settings from pillar mdeprereq:managed, merged key by key into mdatp_managed.json.
    mdatp applies most of them live: the state restarts mdatp only for the few that need it
    (RESTART_REQUIRED_SETTINGS in the engine's data), never with systemd waived. An active
    enforcementLevel is refused where the fanotify rule needs passive mode. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde, waived with context %}

include:
  - .install

mde-config-managed:
  mdeprereq.managed:
    - name: mdatp-managed-settings
    - settings: {{ mde.managed | json }}
{%- if "systemd" not in waived %}
    - restart: mdatp
{%- endif %}
    - require:
      - pkg: mde-install-pkg-installed
      - mde-install-service-running
