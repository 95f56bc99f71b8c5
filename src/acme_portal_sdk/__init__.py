"""acme_portal_sdk: the SDK the acme-portal VSCode extension calls (in progress)."""
