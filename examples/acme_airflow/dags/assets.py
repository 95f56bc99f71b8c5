"""An Airflow 3 asset: each `@asset` function is a DAG named after it."""

from airflow.sdk import asset


@asset(schedule="@daily", description="Raw orders from the shop")
def raw_orders() -> None:
    print("materialised")
