{#- Only the fixing states of mde.prereqs (mde.fixes) and mdatp's service (mde.agent): what the
    remediation reactor applies to a minion that reported a fixable check failing (runner
    mdeprereq.remediate). No verdict state here: the runner re-checks the failing checks
    afterwards. #}
include:
  - .fixes
  - .agent
