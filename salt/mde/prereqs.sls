{#- Fix what can be fixed (mde.fixes), then refuse to go on while an unfixable prerequisite
    fails. The early refusal follows the distro check (mdeprereq.support_level): pass and warn
    (a desktop edition, a derived distribution, an entry that ends soon) go on, saying so; fail
    stops before any change, and so does a release no repository can be served for. #}
{%- from tpldir ~ "/map.jinja" import mde, repo with context %}
{%- set support = salt["mdeprereq.support_level"]() %}

include:
  - .fixes

mde-prereqs-supported:
{%- if support.status == "fail" %}
  test.fail_without_changes:
    - name: mdatp-supported-distribution
    - comment: {{ (support.message ~ ". Fix: " ~ support.remediation) | yaml_dquote }}
{%- elif not repo.supported %}
  test.fail_without_changes:
    - name: mdatp-supported-distribution
    - comment: {{ repo.reason | yaml_dquote }}
{%- elif support.status == "warn" %}
  test.succeed_without_changes:
    - name: mdatp-supported-distribution
    - comment: {{ ("Going on with a warning (" ~ support.level ~ "): " ~ support.message) | yaml_dquote }}
{%- else %}
  test.succeed_without_changes:
    - name: mdatp-supported-distribution
    - comment: {{ support.message | yaml_dquote }}
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
      - mdeprereq: mde-prereqs-isolation-tools-installed

mde-prereqs-satisfied:
  mdeprereq.satisfied:
    - name: mdatp-prerequisites
    - require:
      - test: mde-prereqs-supported
      - mdeprereq: mde-prereqs-dependencies-installed
      - mdeprereq: mde-prereqs-passive-if-conflicting
      - mdeprereq: mde-prereqs-isolation-tools-installed
{%- if mde.user.get("uid") or mde.user.get("gid") %}
      - mdeprereq: mde-prereqs-user-present
{%- endif %}
{%- if mde.proxy %}
      - mdeprereq: mde-prereqs-proxy-configured
{%- endif %}
