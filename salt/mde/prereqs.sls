{#- Fix what can be fixed (mde.fixes), then refuse to go on while an unfixable prerequisite
    fails. #}
{%- from tpldir ~ "/map.jinja" import mde, repo with context %}

include:
  - .fixes

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
    {#- the fixing states run on a supported distribution only #}
    - require_in:
{%- if mde.user.get("uid") or mde.user.get("gid") %}
      - mdeprereq: mde-prereqs-user-present
{%- endif %}
      - mdeprereq: mde-prereqs-dependencies-installed
{%- if mde.proxy %}
      - mdeprereq: mde-prereqs-proxy-configured
{%- endif %}
      - mdeprereq: mde-prereqs-passive-if-conflicting

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
