{#- The onboarding blob (a secret: never shown in output or diffs), then wait until licensed. #}
{%- from tpldir ~ "/map.jinja" import mde, paths with context %}

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
  mdeprereq.licensed:
    - name: mdatp
    - timeout: {{ mde.licensed_timeout }}
    - require:
      - mde-onboard-json-managed
      - mde-install-service-running
