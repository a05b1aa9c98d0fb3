{#- Microsoft's repository for this distribution, version and channel (or a mirror of it),
    beside whatever is already configured: an existing source for the same URI and suite (apt)
    or baseurl (RPM), e.g. packages-microsoft-prod's, is used as it is and nothing is added; one
    whose options would conflict is refused before any change. The formula writes only files of
    its own names (mdeprereq-microsoft-*), after checking every key's fingerprint, and records
    them for mde.remove. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde, repo with context %}
{%- set beside = repo.get("beside") or {} %}

include:
  - .prereqs
{%- if repo.supported %}

{#- decided before any change: a conflicting existing source stops the fixes of mde.prereqs too #}
mde-repo-beside-checked:
  {%- if beside.action == "conflict" %}
  test.fail_without_changes:
  {%- else %}
  test.succeed_without_changes:
  {%- endif %}
    - name: microsoft-repository-beside
    - comment: {{ beside.comment | yaml_dquote }}
    - require_in:
      - test: mde-prereqs-supported
{%- endif %}

{%- if repo.supported and beside.action == "add" and repo.family in ("debian", "rpm") %}
{%- set recorded = salt["mdeprereq.added_repository"]() %}

{#- recorded first: whatever fails later, mde.remove knows what may have been added #}
mde-repo-record-managed:
  file.serialize:
    - name: {{ repo.record }}
    - dataset:
        files: {{ (recorded + repo.added_files) | unique | sort | json }}
    - serializer: json
    - makedirs: True
    - mode: "0644"
    - require:
      - mdeprereq: mde-prereqs-satisfied
  {%- if repo["keys"] and repo.family == "debian" %}

mde-repo-key-trusted:
  mdeprereq.key_trusted:
    - name: {{ repo.keyring }}
    - keys: {{ repo["keys"] | json }}
    - binary: True
    - require:
      - file: mde-repo-record-managed
  {%- elif repo["keys"] %}
    {%- for key in repo["keys"] %}

mde-repo-key-trusted-{{ key.name }}:
  mdeprereq.key_trusted:
    - name: {{ repo.key_files[loop.index0] }}
    - keys: {{ [key] | json }}
    - require:
      - file: mde-repo-record-managed
      {%- if repo.manager == "zypper" %}

{#- zypper trusts the keys in rpm's database: the checked key goes there, instead of letting
    zypper auto-import whatever key the repository offers #}
mde-repo-key-imported-{{ key.name }}:
  cmd.run:
    - name: rpm --import {{ repo.key_files[loop.index0] }}
    - unless: rpm -q gpg-pubkey-{{ key.fingerprint[-8:] | lower }}
    - require:
      - mdeprereq: mde-repo-key-trusted-{{ key.name }}
    - require_in:
      - pkgrepo: mde-repo-pkgrepo-managed
      {%- endif %}
    {%- endfor %}
  {%- endif %}
{%- endif %}

mde-repo-pkgrepo-managed:
{%- if not repo.supported %}
  test.fail_without_changes:
    - name: microsoft-repository
    - comment: {{ repo.reason | yaml_dquote }}
{%- elif beside.action == "conflict" %}
  test.fail_without_changes:
    - name: microsoft-repository
    - comment: {{ beside.comment | yaml_dquote }}
{%- elif beside.action == "reuse" %}
  test.succeed_without_changes:
    - name: microsoft-repository
    - comment: {{ beside.comment | yaml_dquote }}
{%- elif repo.family == "mariner" %}
  {#- Mariner adds Microsoft's extras repositories with packages of its own, which are then
      enabled as Microsoft's docs and installer do (dnf config-manager) #}
  pkg.installed:
    - pkgs: {{ repo.packages | json }}
{%- elif repo.family == "debian" %}
  pkgrepo.managed:
    - name: {{ repo.line | yaml_dquote }}
    - file: {{ repo.file }}
    - aptkey: False
    - refresh: True
{%- else %}
  pkgrepo.managed:
    - name: {{ repo.name }}
    - humanname: {{ repo.humanname }}
    - baseurl: {{ repo.baseurl | yaml_dquote }}
    - enabled: 1
    - gpgcheck: {{ repo.gpgcheck }}
  {#- Salt's zypperpkg neither writes nor fetches gpgkey: on SUSE the checked key is imported
      into rpm's database above (mde-repo-key-imported-*) #}
  {%- if repo.gpgkey and repo.manager != "zypper" %}
    - gpgkey: {{ repo.gpgkey | yaml_dquote }}
  {%- endif %}
{%- endif %}
    - require:
      - mdeprereq: mde-prereqs-satisfied
{%- if repo.supported and beside.action == "add" and repo.family in ("debian", "rpm") %}
      - file: mde-repo-record-managed
  {%- if repo.manager in ("dnf", "yum") %}
      - file: mde-repo-file-seeded
  {%- endif %}
  {%- if repo["keys"] and repo.family == "debian" %}
      - mdeprereq: mde-repo-key-trusted
  {%- else %}
    {%- for key in repo["keys"] %}
      - mdeprereq: mde-repo-key-trusted-{{ key.name }}
    {%- endfor %}
  {%- endif %}
{%- endif %}
{%- if repo.supported and beside.action == "add" and repo.manager in ("dnf", "yum") %}

{#- Salt's yumpkg has no file argument: it writes a new repository to /etc/yum.repos.d/<repo
    id>.repo (a name an admin's own states, e.g. Microsoft's Salt guide, may use too) and edits
    an existing one in its own file. So the stanza is first created, disabled, in the formula's
    own file, and pkgrepo.managed then sets it there (tests/rpm shows the real file) #}
mde-repo-file-seeded:
  file.managed:
    - name: {{ repo.file }}
    - contents: {{ ("[" ~ repo.name ~ "]\nname=" ~ repo.name ~ "\nenabled=0") | yaml_dquote }}
    - replace: False
    - mode: "0644"
    - require:
      - file: mde-repo-record-managed
  {%- for key in repo["keys"] %}
      - mdeprereq: mde-repo-key-trusted-{{ key.name }}
  {%- endfor %}
{%- endif %}
{%- if repo.supported and beside.action == "add" and repo.manager == "zypper" and repo["keys"] %}

{#- zypper checks a package's signature only when the repository's metadata are unsigned,
    unless the repository has pkg_gpgcheck=1 (zypper's --gpgcheck-strict), which Salt's
    pkgrepo can't set: tests/rpm shows the real zypper 1.14 installing an unsigned package
    from a repository with signed metadata otherwise #}
mde-repo-gpgcheck-strict:
  cmd.run:
    - name: zypper --non-interactive modifyrepo --gpgcheck-strict {{ repo.name }}
    - unless:
      - grep -qx 'pkg_gpgcheck=1' {{ repo.file }}
      - grep -qx 'repo_gpgcheck=1' {{ repo.file }}
    - require:
      - pkgrepo: mde-repo-pkgrepo-managed
{%- endif %}
{%- if repo.supported and repo.family == "mariner" %}
  {%- for repo_id in repo.enable %}

mde-repo-enable-{{ repo_id }}:
  cmd.run:
    - name: dnf config-manager --enable {{ repo_id }}
    - unless: dnf repolist --enabled {{ repo_id }} | grep -qw {{ repo_id }}
    - require:
      - pkg: mde-repo-pkgrepo-managed
    - require_in:
      - pkg: mde-install-pkg-installed
  {%- endfor %}
  {%- for repo_id in repo.disable %}

mde-repo-disable-{{ repo_id }}:
  cmd.run:
    - name: dnf config-manager --disable {{ repo_id }}
    - onlyif: dnf repolist --enabled {{ repo_id }} | grep -qw {{ repo_id }}
    - require:
      - pkg: mde-repo-pkgrepo-managed
    - require_in:
      - pkg: mde-install-pkg-installed
  {%- endfor %}
{%- endif %}
{%- if repo.supported and beside.action == "reuse" and repo.family == "debian" %}

{#- the formula's own list from an earlier run, now beside an equal source: apt would refuse
    the two if their signed-by differ #}
mde-repo-own-source-absent:
  file.absent:
    - name: {{ repo.file }}
    - require_in:
      - test: mde-repo-pkgrepo-managed
{%- endif %}
