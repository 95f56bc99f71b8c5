"""`python -m acme_portal_sdk` is `aps`."""

import sys

from acme_portal_sdk import main

if __name__ == "__main__":
    sys.exit(main())
