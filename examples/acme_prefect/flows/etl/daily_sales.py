"""Load yesterday's sales into the warehouse."""

from datetime import date

import prefect as pf

PROJECT = "acme"


@pf.flow(name=f"{PROJECT}-daily-sales", retries=2, retry_delay_seconds=60)
async def daily_sales(day: date | None = None, regions: list[str] | None = None, dry_run: bool = False) -> int:
    """Extract, transform and load the sales of one day.

    Args:
        day: the day to load (default: yesterday)
        regions: only these regions
        dry_run: compute but do not write
    """
    return 0


backfill_sales = daily_sales.with_options(name="acme-backfill-sales", retries=0)
