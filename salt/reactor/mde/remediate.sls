{#- Remediation reactor for mdeprereq/check/<ready|notready>/<id> events: hands the event, as
    received, to the mdeprereq.remediate runner, which checks that the tag names the sender,
    validates the payload, applies the rate limit and applies only the fixing states (mde.remediate)
    to that one minion. Nothing is targeted from here. Master config:

    reactor:
      - 'mdeprereq/check/*':
        - salt://reactor/mde/remediate.sls
#}
mde-reactor-remediate:
  runner.mdeprereq.remediate:
    - args:
      - tag: {{ tag | json }}
      - data: {{ data | json }}
