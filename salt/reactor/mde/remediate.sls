{#- Remediation reactor on job returns (salt/job/<jid>/ret/<id>). An event is only a hint: a minion
    can make the master fire any event, tag and envelope included (event.fire_master, beacons).
    So nothing from the event is used here but its tag: the mdeprereq.remediate runner validates
    the jid and the minion id (Salt's rules, an accepted key), reads that minion's return from the
    master's job cache (keyed by the id the master authenticated), acts only on mdeprereq.check
    jobs of the minion's schedule or run with fire_event=True, applies the rate limit and applies
    only the fixing states (mde.remediate) to that one minion. Master config:

    reactor:
      - 'salt/job/*/ret/*':
        - salt://reactor/mde/remediate.sls
#}
{#- the event's own claims only narrow what reaches the runner (the runner's own checks, with
    neither a schedule nor fire_event, never do); the runner checks them in the job cache #}
{%- set hint = namespace(asked=data.get("schedule") not in (none, "", false)) %}
{%- for arg in data.get("fun_args") or [] %}
  {%- if arg is mapping and arg.get("fire_event") in (true, "True", "true") %}
    {%- set hint.asked = true %}
  {%- endif %}
{%- endfor %}
{%- if data.get("fun") == "mdeprereq.check" and hint.asked %}
mde-reactor-remediate:
  runner.mdeprereq.remediate:
    - args:
      - tag: {{ tag | json }}
{%- endif %}
