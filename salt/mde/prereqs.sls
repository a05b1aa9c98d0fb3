{#- Fix what can be fixed (mde.fixes), then refuse to go on while an unfixable prerequisite
    fails. The early refusal follows the distro check (mdeprereq.support_level): pass and warn
    (a desktop edition, a derived distribution, an entry that ends soon) go on, saying so; fail
    stops before any change, and so does a release no repository can be served for. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import repo with context %}
{%- set sls_fixes = tplroot ~ ".fixes" %}
{%- set support = salt["mdeprereq.support_level"]() %}

include:
  - {{ sls_fixes }}

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
    {#- the fixing states run on a supported distribution only: every state of mde.fixes,
        whichever of them its conditions render (an sls requisite, as template-formula's) #}
    - require_in:
      - sls: {{ sls_fixes }}

mde-prereqs-satisfied:
  mdeprereq.satisfied:
    - name: mdatp-prerequisites
    - require:
      - test: mde-prereqs-supported
      - sls: {{ sls_fixes }}
