"""The index: find a project's files, scan them in worker processes, keep the index file.

May import the scanner and the shared top-level modules; never `watch`, `check` or `cli`.
"""
