"""Tests of the pure scanning core (`acme_scan.scanner.scan_source`)."""
