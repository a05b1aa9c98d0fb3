{#- The mdatp package, and its service enabled and running after every install or upgrade. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde, repo, waived with context %}

include:
  - .repo

{#- Switching channel means uninstalling and reinstalling: only with mdeprereq:channel_switch #}
mde-install-channel-kept:
  mdeprereq.channel_kept:
    - name: {{ mde.channel | yaml_dquote }}
    - require:
      - mde-repo-pkgrepo-managed
    - require_in:
      - pkg: mde-install-pkg-installed

mde-install-pkg-installed:
  pkg.installed:
    - name: mdatp
{%- if repo.get("package_version") %}
    - version: {{ repo.package_version | yaml_dquote }}
{%- endif %}
{#- the channel: apt's target release (apt -t insiders-fast), dnf/yum's --enablerepo or
    zypper's --from, as Microsoft's installer installs it #}
{%- for option, value in (repo.get("install") or {}).items() %}
    - {{ option }}: {{ value | yaml_dquote }}
{%- endfor %}
    - require:
      - mde-repo-pkgrepo-managed
{#- SUSE: only once the repository refuses unsigned packages (mde.repo's strict gpgcheck) #}
{%- if repo.get("supported") and (repo.get("beside") or {}).get("action") == "add"
      and repo.get("manager") == "zypper" and repo.get("keys") %}
      - cmd: mde-repo-gpgcheck-strict
{%- endif %}

mde-install-service-running:
{%- if "systemd" in waived %}
  {#- an image build in a chroot or container: no systemd to start the service with #}
  test.succeed_without_changes:
    - name: mdatp.service
    - comment: {{ ("systemd is waived (" ~ waived.systemd ~ "): mdatp.service was not started") | yaml_dquote }}
    - require:
      - pkg: mde-install-pkg-installed
{%- else %}
  service.running:
    - name: mdatp
    - enable: True
    - watch:
      - pkg: mde-install-pkg-installed
{%- endif %}
