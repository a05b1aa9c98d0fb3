{#- After the rollout: mdatp's service running and enabled at boot (the agent_service check), via
    Salt's service.running with enable: True. Applied by the remediation reactor (mde.remediate);
    before mdatp is installed it has nothing to do and says so. (mde.install starts the service
    after every install or upgrade itself.) #}

mde-agent-running:
  mdeprereq.agent_running:
    - name: mdatp
