{#- Remove mdatp and everything this formula added: package, repository and key files it
    recorded, configuration (onboarding blob included) and the mdatp user and group. #}
{%- from tpldir ~ "/map.jinja" import mde, repo, paths, waived with context %}
{%- if "systemd" not in waived %}

{#- stopped and disabled first: purging the package leaves its multi-user.target.wants link
    behind otherwise (seen on a machine booted with systemd, tests/machines) #}
mde-remove-service-dead:
  service.dead:
    - name: mdatp
    - enable: False
    - require_in:
      - pkg: mde-remove-pkg-purged
{%- endif %}

mde-remove-pkg-purged:
  pkg.purged:
    - name: mdatp

{#- only the files the formula itself added (its record, and only names of its own): never
    packages-microsoft-prod's list, keyring or repository file, which other Microsoft products
    (PowerShell, .NET, azcmagent) use #}
{%- set added = salt["mdeprereq.added_repository"]() %}
{%- for path in added %}

mde-remove-repo-file-{{ loop.index }}-absent:
  file.absent:
    - name: {{ path }}
    - require:
      - pkg: mde-remove-pkg-purged
    - require_in:
      - file: mde-remove-repo-record-absent
{%- endfor %}

{%- set record = repo.get("record") or "/var/lib/mdeprereq/repository.json" %}
mde-remove-repo-record-absent:
  file.absent:
    - name: {{ record }}
    - require:
      - pkg: mde-remove-pkg-purged

{#- the record's directory is the formula's own: removed when nothing else is left in it #}
mde-remove-repo-record-dir-absent:
  file.absent:
    - name: {{ salt["file.dirname"](record) }}
    - onlyif:
      - fun: file.directory_exists
        path: {{ salt["file.dirname"](record) }}
      - 'test -z "$(ls -A {{ salt["file.dirname"](record) }})"'
    - require:
      - file: mde-remove-repo-record-absent

{%- if repo.get("supported") and repo.get("family") == "rpm" %}
  {%- for key in repo.get("keys") or [] %}

{#- the key dnf imported from the formula's checked key file on the first install (mde.repo
    itself on SUSE): removed only while no other installed package is signed with it and no
    other repository file names it (packages-microsoft-prod's, for PowerShell or .NET) #}
mde-remove-rpm-key-absent-{{ key.name }}:
  mdeprereq.rpm_key_absent:
    - name: {{ key.url | yaml_dquote }}
    - fingerprint: {{ key.fingerprint | yaml_dquote }}
    - references:
      - {{ key.url | yaml_dquote }}
      - {{ repo.key_files[loop.index0] | yaml_dquote }}
    - require:
      - pkg: mde-remove-pkg-purged
      - file: mde-remove-repo-record-absent
  {%- endfor %}
{%- endif %}

mde-remove-config-absent:
  file.absent:
    - name: {{ paths.config_dir }}
    - require:
      - pkg: mde-remove-pkg-purged

{#- /etc/opt/microsoft may hold other Microsoft products' settings: removed only when empty #}
mde-remove-config-parent-absent:
  file.absent:
    - name: {{ paths.config_parent }}
    - onlyif:
      - fun: file.directory_exists
        path: {{ paths.config_parent }}
      - 'test -z "$(ls -A {{ paths.config_parent }})"'
    - require:
      - file: mde-remove-config-absent

mde-remove-user-absent:
  user.absent:
    - name: mdatp
    - require:
      - pkg: mde-remove-pkg-purged

mde-remove-group-absent:
  group.absent:
    - name: mdatp
    - require:
      - user: mde-remove-user-absent
