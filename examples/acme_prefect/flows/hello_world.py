"""The smallest flow: say hello."""

from prefect import flow, task


@task
def greet(name: str) -> str:
    return f"Hello, {name}!"


@flow(log_prints=True)
def hello_world(name: str = "world") -> None:
    """Greet someone.

    Args:
        name: who to greet
    """
    print(greet(name))
