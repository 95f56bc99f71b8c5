"""`python -m acme_scan` is `acme-scan`."""

import sys

from acme_scan.cli import main

sys.exit(main())
