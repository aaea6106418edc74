"""Reports that site managers read: every figure counted from the visit events (README: "Reports").

`site_report` loads a site's events for a range of local dates and hands them
to the pure `figures.site_figures`; `chain_report` puts the headline figures
of several sites side by side.
"""

from __future__ import annotations

from schedq.services.reports.loading import (
    MAX_RANGE_DAYS,
    ChainReport,
    SiteReport,
    chain_report,
    site_report,
)

__all__ = ["MAX_RANGE_DAYS", "ChainReport", "SiteReport", "chain_report", "site_report"]
