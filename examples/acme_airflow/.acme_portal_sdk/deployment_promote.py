# Promote = ship the commit the source environment runs to the target's ref.
from acme_portal_sdk.airflow.deployment_promote import AirflowPromoteWorkflow

promote = AirflowPromoteWorkflow()
