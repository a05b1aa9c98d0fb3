{#- Offboard: the offboarding blob in place of the onboarding one (both secrets). #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde, paths with context %}

mde-offboard-onboard-json-absent:
  file.absent:
    - name: {{ paths.onboard }}

mde-offboard-json-managed:
{%- if mde.offboarding.source or mde.offboarding.contents %}
  file.managed:
    - name: {{ paths.offboard }}
  {%- if mde.offboarding.source %}
    - source: {{ mde.offboarding.source | yaml_dquote }}
  {%- else %}
    - contents_pillar: mdeprereq:offboarding:contents
  {%- endif %}
    - user: root
    - group: root
    - mode: "0600"
    - makedirs: True
    - show_changes: False
    - require:
      - file: mde-offboard-onboard-json-absent
{%- else %}
  test.fail_without_changes:
    - name: {{ paths.offboard }}
    - comment: "Set mdeprereq:offboarding:source (a salt:// URL) or mdeprereq:offboarding:contents in pillar"
{%- endif %}
