# Deploy = move refs/heads/airflow/dev of `origin` (which dev's GitDagBundle tracks).
from acme_portal_sdk.airflow.flow_deploy import AirflowDeployWorkflow

deploy = AirflowDeployWorkflow(env="dev")
