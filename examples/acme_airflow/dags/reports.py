"""Weekly report: a `@dag` function, called once at module level (which registers it)."""

from airflow.sdk import dag, task

REPORT = "weekly_revenue_report"


@dag(dag_id=REPORT, schedule="@weekly", description="Revenue by region", tags=["reports"])
def revenue() -> None:
    """Sums the week's revenue per region."""

    @task
    def total() -> int:
        return 42

    total()


revenue()
