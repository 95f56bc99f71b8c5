"""Nothing here is a Prefect flow, though it looks like one."""

from metaflow import flow  # another library's `flow`


@flow
def metaflow_thing() -> None:
    """Not Prefect's: `flow` comes from metaflow."""


EXAMPLE = """
@flow
def in_a_string(): ...
"""
