"""Prefect implementations of the acme-portal-sdk interfaces.

Import them from their modules (e.g. `acme_portal_sdk.prefect.flow_finder`); this package
exports nothing, so importing it never imports Prefect or the scanner.
"""
