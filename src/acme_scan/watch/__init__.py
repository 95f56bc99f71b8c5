"""Keeping the index current while files change: watchdog events, folder surveys, the index lock.

May import `index`, the scanner and the shared top-level modules; never `check` or `cli`.
"""
