{#- Fix what can be fixed, then refuse to go on while an unfixable prerequisite fails. #}
{%- from tpldir ~ "/map.jinja" import mde, repo with context %}

mde-prereqs-supported:
{%- if repo.supported %}
  test.succeed_without_changes:
    - name: mdatp-supported-distribution
    - comment: {{ (repo.os ~ " " ~ repo.version ~ " on " ~ repo.arch ~ " is supported") | yaml_dquote }}
{%- else %}
  test.fail_without_changes:
    - name: mdatp-supported-distribution
    - comment: {{ repo.reason | yaml_dquote }}
{%- endif %}

{%- if mde.user.get("uid") or mde.user.get("gid") %}

mde-prereqs-user-present:
  mdeprereq.user_present:
    - name: mdatp
    - require:
      - test: mde-prereqs-supported
{%- endif %}

mde-prereqs-dependencies-installed:
  mdeprereq.dependencies_installed:
    - name: mdatp-dependencies
{%- if mde.mdatp_version %}
    - version: {{ mde.mdatp_version | yaml_dquote }}
{%- endif %}
    - require:
      - test: mde-prereqs-supported
{%- if mde.proxy %}

mde-prereqs-proxy-configured:
  mdeprereq.proxy_configured:
    - name: {{ mde.proxy | yaml_dquote }}
    - require:
      - test: mde-prereqs-supported
{%- endif %}

mde-prereqs-passive-if-conflicting:
  mdeprereq.passive_if_conflicting:
    - name: fanotify-conflicts
    - require:
      - test: mde-prereqs-supported

mde-prereqs-satisfied:
  mdeprereq.satisfied:
    - name: mdatp-prerequisites
    - require:
      - test: mde-prereqs-supported
      - mdeprereq: mde-prereqs-dependencies-installed
      - mdeprereq: mde-prereqs-passive-if-conflicting
{%- if mde.user.get("uid") or mde.user.get("gid") %}
      - mdeprereq: mde-prereqs-user-present
{%- endif %}
{%- if mde.proxy %}
      - mdeprereq: mde-prereqs-proxy-configured
{%- endif %}
