{#- Managed settings from pillar mdeprereq:managed, merged key by key into mdatp_managed.json. #}
{%- from tpldir ~ "/map.jinja" import mde with context %}

include:
  - .install

mde-config-managed:
  mdeprereq.managed:
    - name: mdatp-managed-settings
    - settings: {{ mde.managed | json }}
    - require:
      - pkg: mde-install-pkg-installed
    - watch_in:
      - mde-install-service-running
