{#- Microsoft's repository for this distribution, version and channel (or a mirror of it). #}
{%- from tpldir ~ "/map.jinja" import mde, repo with context %}

include:
  - .prereqs

mde-repo-pkgrepo-managed:
{%- if not repo.supported %}
  test.fail_without_changes:
    - name: microsoft-repository
    - comment: {{ repo.reason | yaml_dquote }}
{%- elif repo.family == "mariner" %}
  {#- Mariner adds Microsoft's extras repositories with packages of its own #}
  pkg.installed:
    - pkgs: {{ repo.packages | json }}
{%- elif repo.family == "debian" %}
  pkgrepo.managed:
    - name: {{ repo.line | yaml_dquote }}
    - file: {{ repo.file }}
  {%- if not repo.trusted %}
    - key_url: {{ repo.key_url | yaml_dquote }}
    - aptkey: False
  {%- endif %}
    - refresh: True
{%- else %}
  pkgrepo.managed:
    - name: {{ repo.name }}
    - humanname: {{ repo.humanname }}
    - baseurl: {{ repo.baseurl | yaml_dquote }}
    - enabled: 1
    - gpgcheck: {{ repo.gpgcheck }}
  {%- if repo.gpgkey %}
    - gpgkey: {{ repo.gpgkey | yaml_dquote }}
  {%- endif %}
  {%- if repo.manager == "zypper" %}
    - gpgautoimport: True
  {%- endif %}
{%- endif %}
    - require:
      - mdeprereq: mde-prereqs-satisfied
