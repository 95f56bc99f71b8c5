"""acme-portal-sdk: the objects behind the acme-portal VSCode extension.

A project defines, in `.acme_portal_sdk/`, instances of the four base classes exported here
(`FlowFinder`, `DeploymentFinder`, `DeployWorkflow`, `PromoteWorkflow`); the extension
imports them and calls them with JSON arguments. This package is a drop-in replacement for
acme-portal-sdk 1.2.0: same public names, JSON shapes and call signatures.

Every error it raises on purpose is an `AcmePortalError` (subclasses in
`acme_portal_sdk.errors`). Prefect implementations live in `acme_portal_sdk.prefect`, GitHub
Actions ones in `acme_portal_sdk.github`.

Importing it has one side effect, kept from 1.x: the project's own `.env` file (in the
project root found from the current directory, never a folder above it) is loaded into
`os.environ`, never overriding a variable that is already set. It configures no logging,
prints nothing and does not import Prefect.
"""

# First: under `python -m acme_portal_sdk`, it takes the current directory off `sys.path`.
import acme_scan  # noqa: F401
from acme_portal_sdk._entry import main
from acme_portal_sdk._environment import load_env_file
from acme_portal_sdk.deployment_finder import DeploymentDetails, DeploymentFinder
from acme_portal_sdk.deployment_promote import DeploymentPromote, PromoteWorkflow
from acme_portal_sdk.errors import AcmePortalError
from acme_portal_sdk.flow_deploy import DeployInfo, DeployInfoPrep, DeployWorkflow, FlowDeployer
from acme_portal_sdk.flow_finder import FlowDetails, FlowFinder
from acme_scan._version import __version__

#: Version of the protocol between the extension and the SDK (unchanged since 1.x).
PROTOCOL_VERSION = 1

__all__ = [
    "PROTOCOL_VERSION",
    "AcmePortalError",
    "DeployInfo",
    "DeployInfoPrep",
    "DeployWorkflow",
    "DeploymentDetails",
    "DeploymentFinder",
    "DeploymentPromote",
    "FlowDeployer",
    "FlowDetails",
    "FlowFinder",
    "PromoteWorkflow",
    "__version__",
    "main",
]

load_env_file()
