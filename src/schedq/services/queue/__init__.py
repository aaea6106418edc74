"""The walk-in queue, staff side: stations, calling, serving, corrections, closing the day, history.

Every write use case locks the site row first (`schedq.services.sites.lock_site`): on
PostgreSQL that serialises queue decisions per site, so two stations calling at once
never get the same ticket and none is skipped; SQLite's write transaction
(BEGIN IMMEDIATE) gives the same guarantee. Every state change appends a
`VisitEvent` (`visit_log`); nothing is deleted.

Overdue calls (called, not started within the site's `no_show_after_minutes`
of the last call) become no-shows lazily: every queue use case settles them
first (`no_shows`), so nothing depends on a background process (`schedq queue
sweep` does the same for all sites).

One idea a module:

- `visit_log`: the append-only event log and moving a ticket by an action.
- `no_shows`: overdue calls become no-shows (before a write, before a read, for all sites).
- `locking`: finding the site of a ticket or station and locking it.
- `line`: the active tickets and the waiting line in the call policy's order.
- `views`: a ticket as the API shows it, with its place and promised wait.
- `stations`: opening, pausing and closing a station.
- `calling`: calling the next ticket (or a chosen one), then serving it.
- `corrections`: staff putting a ticket back, cancelling, prioritising, marking present.
- `closing`: closing the site's day.
- `listing`: the live queue staff see.
- `history`: a ticket's or a day's events.
"""
