"""Daily sales: a classic `with DAG(...)` DAG."""

from airflow.sdk import DAG, task

with DAG(
    "acme_daily_sales",
    description="Load yesterday's sales into the warehouse",
    schedule="0 6 * * *",
    tags=["sales", "warehouse"],
) as daily_sales:

    @task
    def extract() -> list[int]:
        return [1, 2, 3]

    @task
    def load(rows: list[int]) -> None:
        print(f"loaded {len(rows)} rows")

    load(extract())
