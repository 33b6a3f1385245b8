"""A paginator for tables too big to count: it counts up to a cap and stops there."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

DEFAULT_COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows, with a LIMIT inside the COUNT query.

    An exact COUNT(*) over millions of rows reads all of them on every page view, and "1,042,337
    events" tells staff nothing "10,000+" does not. The count is CAP + 1 when there are more, so
    pages up to the cap stay reachable; past it, staff narrow the list with filters.
    """

    count_cap = DEFAULT_COUNT_CAP

    @cached_property
    def count(self) -> int:
        # Slicing before count() makes Django wrap the LIMIT in a subquery:
        # SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1).
        return self.object_list[: self.count_cap + 1].count()

    @property
    def count_is_capped(self) -> bool:
        return self.count > self.count_cap

    @property
    def count_label(self) -> str:
        """The count as staff read it: "1,234", or "10,000+" past the cap."""
        if self.count_is_capped:
            return f"{self.count_cap:,}+"
        return f"{self.count:,}"
