"""Monthly reports, defined as methods and with the call form."""

from prefect.flows import flow as prefect_flow


class Reports:
    @prefect_flow(description="Render the monthly revenue report.")
    @staticmethod
    def revenue(month: int, year: int = 2026) -> str:
        return f"{year}-{month:02d}"


def _churn(threshold: float = 0.05) -> float:
    """Compute the monthly churn rate."""
    return threshold


churn_report = prefect_flow(_churn, name="churn-report")
