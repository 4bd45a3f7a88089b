"""What every page gets: the home, the open warehouse view, its facts and the staff's filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clinicops.dashboard.queries import Filters
from clinicops.dashboard.source import Warehouse
from clinicops.home import Home


@dataclass(frozen=True)
class Context:
    home: Home
    warehouse: Warehouse
    facts: dict
    filters: Filters

    def q(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run a query of `queries` on this page view's warehouse (cached per published file)."""
        return self.warehouse.query(function, *args)

    @property
    def location_label(self) -> str:
        return self.filters.location or "all locations"

    @property
    def provider_label(self) -> str:
        return self.filters.provider or "all providers"
