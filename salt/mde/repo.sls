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
  {%- if repo.gpgkey and repo.manager != "zypper" %}
    - gpgkey: {{ repo.gpgkey | yaml_dquote }}
  {%- endif %}
{%- endif %}
    - require:
      - mdeprereq: mde-prereqs-satisfied
{%- if repo.supported and repo.manager == "zypper" and repo.gpgkey %}
      {#- Salt's zypperpkg neither writes nor fetches gpgkey, and gpgautoimport would trust
          whatever key the mirror puts beside repomd.xml: the key is checked and imported first #}
      - mdeprereq: mde-repo-key-imported
{%- endif %}
{%- if repo.supported and repo.manager == "zypper" and repo.gpgkey %}

mde-repo-key-imported:
  mdeprereq.rpm_key_imported:
    - name: {{ repo.gpgkey | yaml_dquote }}
  {%- if mde.repo.key_fingerprint %}
    - fingerprint: {{ mde.repo.key_fingerprint | yaml_dquote }}
  {%- endif %}
    - require:
      - mdeprereq: mde-prereqs-satisfied

{#- zypper checks a package's signature only when the metadata are unsigned, unless the
    repository has pkg_gpgcheck=1 (zypper's --gpgcheck-strict), which Salt's state can't set #}
mde-repo-gpgcheck-strict:
  cmd.run:
    - name: zypper --non-interactive modifyrepo --gpgcheck-strict {{ repo.name }}
    - unless:
      - grep -qx 'pkg_gpgcheck=1' /etc/zypp/repos.d/{{ repo.name }}.repo
      - grep -qx 'repo_gpgcheck=1' /etc/zypp/repos.d/{{ repo.name }}.repo
    - require:
      - pkgrepo: mde-repo-pkgrepo-managed
{%- endif %}
