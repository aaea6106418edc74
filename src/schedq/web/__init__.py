"""The pages people use: the patient's pages, the lobby display, the ticket page and the staff console.

Each page is server-rendered HTML in the patient's language (`i18n`) with a
little script, no build step: plain templates, one stylesheet and plain modern
JavaScript served from static/. Scripts call the public JSON API under
/api/v1, the same contract every other client uses, so the pages are its
reference client, show what the database says whichever worker or host
answers, and pick up again by themselves after a restart or a network drop.

Nothing about a patient is ever rendered on the server: the ticket and
booking pages read the patient's token from their address's fragment (never
sent to the server) and ask the API.

Modules: `blueprint` (the blueprint, headers, language), `screens` (display,
staff console, staff entry page, API docs), `manage` (the manager's pages), `notifications` (the log sink's
messages, the unsubscribe page), `patient/` (the patient's pages,
one module a page), `i18n` (languages), `demo_play` (the demo's day).
"""

from __future__ import annotations

from schedq.web import manage as manager_pages
from schedq.web import notifications, reports, screens
from schedq.web.blueprint import bp
from schedq.web.patient import best_times, booking, manage, save_spot, start, ticket

__all__ = [
    "best_times",
    "booking",
    "bp",
    "manage",
    "manager_pages",
    "notifications",
    "reports",
    "save_spot",
    "screens",
    "start",
    "ticket",
]
