{#- Remove mdatp and everything this formula added: package, repository, key, configuration
    (onboarding blob included) and the mdatp user and group. #}
{%- from tpldir ~ "/map.jinja" import mde, repo, paths with context %}

mde-remove-pkg-purged:
  pkg.purged:
    - name: mdatp

{%- if repo.supported and repo.family == "debian" %}

mde-remove-pkgrepo-absent:
  pkgrepo.absent:
    - name: {{ repo.line | yaml_dquote }}
    - require:
      - pkg: mde-remove-pkg-purged

mde-remove-repo-file-absent:
  file.absent:
    - name: {{ repo.file }}
    - require:
      - pkgrepo: mde-remove-pkgrepo-absent
  {%- if repo.keyring %}

mde-remove-keyring-absent:
  file.absent:
    - name: {{ repo.keyring }}
    - require:
      - pkgrepo: mde-remove-pkgrepo-absent
  {%- endif %}
{%- elif repo.supported and repo.family == "rpm" %}

mde-remove-pkgrepo-absent:
  pkgrepo.absent:
    - name: {{ repo.name }}
    - require:
      - pkg: mde-remove-pkg-purged
  {%- if repo.gpgkey %}

{#- the key dnf imported on the first install (the formula itself on SUSE) #}
mde-remove-rpm-key-absent:
  mdeprereq.rpm_key_absent:
    - name: {{ repo.gpgkey | yaml_dquote }}
    {%- if mde.repo.key_fingerprint %}
    - fingerprint: {{ mde.repo.key_fingerprint | yaml_dquote }}
    {%- endif %}
    - require:
      - pkgrepo: mde-remove-pkgrepo-absent
  {%- endif %}
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
