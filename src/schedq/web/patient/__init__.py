"""The patient's pages, one module a page: `start` (where to go now, a site), `best_times` (when is
best: a site's week), `booking` (book at a site), `manage` (a booked appointment: confirm,
reschedule, cancel, check in), `save_spot` (join the line from home), `ticket` (a ticket in line).

They share `web/templates/web/patient/base.html`: the language switch, the way
back to the start page and, on a site's pages, the site's phone for people who
would rather call.
"""
