"""Best time to come: the expected wait for a walk-in arriving in each half hour of the coming days.

A forward Monte Carlo of the call policy over whole days, vectorised across
replications and days (every row of the arrays is one replication of one
day). Walk-ins arrive as a Poisson process from the fitted arrival profile
(constant within each local half hour), booked appointments arrive with the
model's no-show rate and lateness, and the stations of the capacity plan call
them by `schedq.domain.policy.rank`. For today the run starts from the live
snapshot (who waits, who is in service since when); for other days it starts
empty at the first opening. One probe per open half hour, a ghost like the
newcomer of `estimate` (it takes no station), arrives at a uniform instant in
that half hour; its wait is the time until a station that can do its service
would reach it.

Times inside the simulation are minutes after one origin instant. A ticket's
place in line is a float key, `tier * _TIER_SPAN + minutes`, built from the
rank tuple `rank` returns (tier, instant, id): lower is called first, exactly
as `choose_next` orders them (ties on the instant are broken by the order
of the rank tuples). Each row's tickets are sorted by arrival time and a
station only looks at a per-row window of columns starting at the first
ticket not yet called, so each step costs replications x (queue length), not
x (tickets in the day).

One idea a module:

- `plan`: what a site knows of a day ahead (`DayPlan`, `BookedAppointment`), its walk-in intervals.
- `keys`: minutes after the origin, and `rank` tuples as float keys.
- `grid`: the local half hours of a day's opening span (the output grid, daylight-saving safe).
- `arrivals`: walk-ins and booked appointments drawn for a day.
- `stations`: a future day's station slots and their open intervals from the capacity plan.
- `today`: today's live snapshot as columns, station slots and first free times.
- `days`: each open day's columns for every replication, with its own random streams.
- `play`: the days stacked into one batch and played by the compiled loop; `warm_up`.
- `_compiled`: that loop, `play_days` (numba).
- `waits`: `best_times` and its `HalfHourWait` rows, summarised from the probes' waits.
"""
