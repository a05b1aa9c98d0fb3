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
{%- if data.get("fun") == "mdeprereq.check" %}
mde-reactor-remediate:
  runner.mdeprereq.remediate:
    - args:
      - tag: {{ tag | json }}
{%- endif %}
