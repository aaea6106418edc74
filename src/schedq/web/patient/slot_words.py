"""The words the booking and manage pages share for choosing a day and a time (`slots.js`)."""

from __future__ import annotations

from flask_babel import gettext as _


def words() -> dict[str, str]:
    return {
        "chooseDay": _("Choose a day"),
        "loadingSlots": _("Looking for free times…"),
        "noSlots": _(
            "There are no free times to book for this service. Call the site, or walk in if the service allows it."
        ),
        "slotsFailed": _("The free times could not be loaded. Check your connection and try again."),
    }
