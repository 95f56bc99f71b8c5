"""Dispatching a GitHub Actions workflow and finding the run that dispatch started.

`gh workflow run` does not always say which run it started. So `WorkflowDispatcher`:

1. lists the workflow's recent runs before dispatching (their ids are "known");
2. dispatches (`gh workflow run FILE --ref REF -f key=value ...`); if `gh` prints the run's
   URL (recent versions do), that is the answer;
3. otherwise polls `gh run list --workflow FILE --json databaseId,url,createdAt,headBranch,event`
   until a run appears that is not known, was created by `workflow_dispatch` on `REF`, no
   earlier than the dispatch (less `CLOCK_SKEW`); the earliest such run is ours. Another run
   (a push, another branch, an older dispatch) is never taken for ours, even if newer.
4. After `timeout` seconds without such a run, it logs a warning and returns None: the
   dispatch itself succeeded.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from acme_portal_sdk.errors import GitHubWorkflowError
from acme_portal_sdk.github.cli import GitHubCli

logger = logging.getLogger(__name__)

RUN_FIELDS = "databaseId,url,createdAt,headBranch,event"
RUN_LIST_LIMIT = 20
DISPATCH_EVENT = "workflow_dispatch"
#: How far GitHub's clock may be behind ours.
CLOCK_SKEW = dt.timedelta(seconds=60)
_RUN_URL = re.compile(r"https://\S+/actions/runs/\d+")


@dataclass(frozen=True)
class WorkflowRun:
    """One run of a workflow, as `gh run list --json` describes it."""

    database_id: int
    url: str
    created_at: dt.datetime
    head_branch: str
    event: str


def parse_runs(text: str) -> list[WorkflowRun]:
    """The runs of `gh run list --json RUN_FIELDS` output."""
    try:
        data = json.loads(text or "[]")
        return [
            WorkflowRun(
                database_id=int(item["databaseId"]),
                url=str(item["url"]),
                created_at=dt.datetime.fromisoformat(str(item["createdAt"]).replace("Z", "+00:00")),
                head_branch=str(item.get("headBranch") or ""),
                event=str(item.get("event") or ""),
            )
            for item in data
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise GitHubWorkflowError(
            f"unexpected output of `gh run list`: {exc}: {text[:200]}"
        ) from exc


def short_ref(ref: str) -> str:
    """`refs/heads/x` and `refs/tags/x` as GitHub reports a run's branch: `x`."""
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def dispatch_arguments(workflow_file: str, ref: str, inputs: Mapping[str, str]) -> list[str]:
    """The `gh` arguments dispatching `workflow_file` on `ref` with `inputs`."""
    arguments = ["workflow", "run", workflow_file, "--ref", ref]
    for key, value in inputs.items():
        arguments.extend(["-f", f"{key}={value}"])
    return arguments


class WorkflowDispatcher:
    """Dispatches workflows with `cli` and returns the URL of the run each dispatch started.

    `clock`, `sleep` and `now` are injectable for tests; the constructor runs nothing.
    """

    def __init__(
        self,
        cli: GitHubCli,
        *,
        timeout: float = 60.0,
        poll_interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
    ) -> None:
        self.cli = cli
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.sleep = sleep
        self.now = now

    def list_runs(self, workflow_file: str) -> list[WorkflowRun]:
        """The workflow's most recent runs."""
        return parse_runs(
            self.cli.run(
                "run",
                "list",
                "--workflow",
                workflow_file,
                "--limit",
                str(RUN_LIST_LIMIT),
                "--json",
                RUN_FIELDS,
            )
        )

    def dispatch(self, workflow_file: str, ref: str, inputs: Mapping[str, str]) -> str | None:
        """Dispatch the workflow; the URL of the run started, or None when none showed up."""
        known = {run.database_id for run in self.list_runs(workflow_file)}
        started = self.now()
        output = self.cli.run(*dispatch_arguments(workflow_file, ref, inputs))
        printed = _RUN_URL.search(output)
        if printed:
            return printed.group(0)
        deadline = self.clock() + self.timeout
        branch = short_ref(ref)
        while True:
            ours = [
                run
                for run in self.list_runs(workflow_file)
                if run.database_id not in known
                and run.event == DISPATCH_EVENT
                and run.head_branch == branch
                and run.created_at >= started - CLOCK_SKEW
            ]
            if ours:
                run = min(ours, key=lambda r: (r.created_at, r.database_id))
                logger.info("workflow %s started: %s", workflow_file, run.url)
                return run.url
            if self.clock() >= deadline:
                logger.warning(
                    "dispatched %s on %s, but its run did not show up within %.0f s; see "
                    "`gh run list --workflow %s`",
                    workflow_file,
                    ref,
                    self.timeout,
                    workflow_file,
                )
                return None
            self.sleep(self.poll_interval)
