{#- The fixing states of the prerequisites: what Salt can fix (the mdatp user, the packages mdatp
    needs, the proxy, passive mode beside fapolicyd, the iptables commands device isolation
    needs; waive check isolation under mdeprereq:ignore to leave them out). Included by mde.prereqs, which gates them
    on a supported distribution and checks the rest, and by mde.remediate, which the remediation
    reactor applies. Each state checks before it changes anything. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde with context %}

{%- if mde.user.get("uid") or mde.user.get("gid") %}

mde-prereqs-user-present:
  mdeprereq.user_present:
    - name: mdatp
{%- endif %}

mde-prereqs-dependencies-installed:
  mdeprereq.dependencies_installed:
    - name: mdatp-dependencies
{%- if mde.mdatp_version %}
    - version: {{ mde.mdatp_version | yaml_dquote }}
{%- endif %}
{%- if mde.proxy %}

{#- the state reads mdeprereq:proxy itself: a proxy in its name or arguments would be kept in
    the state's key, the job cache and the minion's state cache #}
mde-prereqs-proxy-configured:
  mdeprereq.proxy_configured:
    - name: mdeprereq-proxy
{%- endif %}

mde-prereqs-passive-if-conflicting:
  mdeprereq.passive_if_conflicting:
    - name: fanotify-conflicts

mde-prereqs-isolation-tools-installed:
  mdeprereq.isolation_tools_installed:
    - name: isolation-tools
