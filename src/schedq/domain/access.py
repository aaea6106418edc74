"""Who may do what: API token roles and their site scope."""

from __future__ import annotations

from dataclasses import dataclass

from schedq.domain.enums import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated API token. An empty `site_ids` on an admin token means every site."""

    token_id: int
    name: str
    role: Role
    site_ids: frozenset[int]

    @property
    def actor(self) -> str:
        return f"{self.role.value}:{self.name}"

    @property
    def is_global_admin(self) -> bool:
        return self.role is Role.ADMIN and not self.site_ids

    def covers(self, site_id: int) -> bool:
        return self.is_global_admin or site_id in self.site_ids

    def may_staff(self, site_id: int) -> bool:
        """Run a site's queue and read its personal data: staff of the site, or its admin."""
        return self.role in (Role.STAFF, Role.ADMIN) and self.covers(site_id)

    def may_display(self, site_id: int) -> bool:
        """Drive a site's lobby screen and kiosk: display, staff or admin of the site."""
        return self.covers(site_id)

    def may_configure(self, site_id: int) -> bool:
        return self.role is Role.ADMIN and self.covers(site_id)
