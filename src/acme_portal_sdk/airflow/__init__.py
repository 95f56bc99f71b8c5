"""Airflow 3 implementations of the four objects the acme-portal extension calls.

- `flow_finder.AirflowFlowFinder`: the DAGs Airflow would register, found statically;
- `deployment_finder.AirflowDeploymentFinder`: the DAGs of each environment's server
  (REST API v2, token auth);
- `flow_deploy.AirflowDeployWorkflow` / `AirflowFlowDeployer`: ship a commit to an
  environment (its GitDagBundle's ref), see `release`;
- `deployment_promote.AirflowPromoteWorkflow` / `AirflowDeploymentPromote`: ship the
  commit the source environment runs to the target.

The module names and classes are acme-portal-sdk 1.2.0's. Importing this package imports
no Airflow (none is needed: the SDK speaks HTTP and git) and contacts nothing.
"""
