# One Airflow per environment: AIRFLOW_DEV_URL, AIRFLOW_UAT_URL (and AIRFLOW_USERNAME /
# AIRFLOW_PASSWORD, or AIRFLOW_TOKEN) name the servers.
from acme_portal_sdk.airflow.deployment_finder import AirflowDeploymentFinder

deployment_finder = AirflowDeploymentFinder(env_names=["dev", "uat"], project_name="acme-airflow")
