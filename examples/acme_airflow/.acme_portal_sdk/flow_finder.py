from acme_portal_sdk.airflow.flow_finder import AirflowFlowFinder

flow_finder = AirflowFlowFinder(".")
