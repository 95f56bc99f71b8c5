"""`acme-scan check`: project-wide rules over the flow index and the deploy config.

May import `index`, the scanner and the shared top-level modules; never `watch` or `cli`.

- `rules`: the catalogue (codes, default severities, docs);
- `run_check(root, paths)`: scan (incrementally), run the selected rules, filter by paths,
  apply suppression comments;
- `formats`: render a `CheckResult` as text for people, JSON or GitHub annotations.
"""

from acme_scan.check.finding import Finding, Location
from acme_scan.check.rules import RULES, Rule
from acme_scan.check.runner import CheckResult, PathError, run_check

__all__ = ["RULES", "CheckResult", "Finding", "Location", "PathError", "Rule", "run_check"]
