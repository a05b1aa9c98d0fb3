{#- Continuous compliance: run mdeprereq.check every mdeprereq:schedule:hours hours (with a random
    splay of up to mdeprereq:schedule:splay seconds, so a fleet does not check at once) and return
    each result to the master as a job return (salt/job/<jid>/ret/<id>, and the job cache), which
    the master authenticates: the remediation reactor and the report act on that.
    mdeprereq:schedule:enabled false removes the job. #}
{%- set tplroot = tpldir.split("/")[0] %}
{%- from tplroot ~ "/map.jinja" import mde with context %}
{%- set schedule = mde.schedule %}
{%- if schedule.hours is not number or schedule.hours is sameas true or schedule.hours < 1
      or schedule.hours != (schedule.hours | int) %}
{{- raise("mdeprereq:schedule:hours must be a whole number of hours >= 1, got " ~ schedule.hours) }}
{%- endif %}
{%- if schedule.splay is not number or schedule.splay is sameas true or schedule.splay < 0
      or schedule.splay != (schedule.splay | int) %}
{{- raise("mdeprereq:schedule:splay must be a whole number of seconds >= 0, got " ~ schedule.splay) }}
{%- endif %}

mde-schedule-check:
{%- if schedule.enabled %}
  schedule.present:
    - name: mdeprereq-check
    - function: mdeprereq.check
    - hours: {{ schedule.hours | int }}
  {%- if schedule.splay %}
    - splay: {{ schedule.splay | int }}
  {%- endif %}
    - maxrunning: 1
    {#- the return goes to the master's job cache too, where mdeprereq.report finds it #}
    - return_job: True
{%- else %}
  schedule.absent:
    - name: mdeprereq-check
{%- endif %}
