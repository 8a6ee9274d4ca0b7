"""jixiao.scoring — turn targets and actuals into points, weights and grades.

The two names most callers need are here: :func:`points` (indicator points by the rules of
DOMAIN.md §3) and :func:`grade` (the grade of a total from a named band table).
"""

from scoring.grades import grade
from scoring.rules import points

__all__ = ["grade", "points"]
