"""One page of any query: the lists of the web pages and the API share it."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.sql import Select

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, its number (1-based), the page size and the total."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session, stmt: Select, page: int = 1, per_page: int = 25,
             scalars: bool = True) -> Page:
    """Page ``page`` (1-based) of ``stmt``, which must be ordered; a page past the end gives
    the last page. ``scalars=False`` keeps whole rows (for statements selecting several
    entities or columns)."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    total = session.scalar(select(func.count()).select_from(
        stmt.order_by(None).subquery())) or 0
    page = min(max(1, page), max(1, math.ceil(total / per_page)))
    limited = stmt.offset((page - 1) * per_page).limit(per_page)
    items = session.scalars(limited).unique().all() if scalars \
        else session.execute(limited).all()
    return Page(list(items), page, per_page, total)
