"""Links to a deployment's page in the Prefect UI (pure functions, no Prefect import).

- Prefect Cloud: the API URL `https://api.prefect.cloud/api/accounts/<a>/workspaces/<w>`
  gives `https://app.prefect.cloud/account/<a>/workspace/<w>/deployments/deployment/<id>`.
- Self-hosted: `PREFECT_UI_URL` when set, else the API URL without its trailing `/api`,
  followed by `/deployments/deployment/<id>`.
"""

from __future__ import annotations

import re

CLOUD_API_URL = "https://api.prefect.cloud/api"
CLOUD_UI_URL = "https://app.prefect.cloud"

_WORKSPACE = re.compile(r"^/accounts/(?P<account>[^/]+)/workspaces/(?P<workspace>[^/]+)/?$")


def ui_base_url(
    api_url: str,
    ui_url: str | None = None,
    *,
    cloud_api_url: str = CLOUD_API_URL,
    cloud_ui_url: str = CLOUD_UI_URL,
) -> str:
    """The root of the UI serving the API at `api_url` (no trailing slash)."""
    api = api_url.rstrip("/")
    cloud_api = cloud_api_url.rstrip("/")
    if api.startswith(cloud_api + "/"):
        match = _WORKSPACE.match(api[len(cloud_api) :])
        if match:
            return (
                f"{cloud_ui_url.rstrip('/')}/account/{match['account']}"
                f"/workspace/{match['workspace']}"
            )
    if ui_url:
        return ui_url.rstrip("/")
    return api[: -len("/api")] if api.endswith("/api") else api


def deployment_url(base_url: str, deployment_id: str) -> str:
    """The page of deployment `deployment_id` under the UI root `base_url`."""
    return f"{base_url.rstrip('/')}/deployments/deployment/{deployment_id}"
