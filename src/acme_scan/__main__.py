"""`python -m acme_scan` is `acme-scan`."""

from acme_scan.cli import console

console()
