"""Wait estimates from the live state: snapshots from the database, models from history.

The estimator itself is pure (`schedq.estimator`); this package builds its
inputs and keeps each site's fitted model in the database (refitting it when it
is older than MODEL_MAX_AGE_HOURS). Results are computed once per site state
and shared by every worker through `schedq.services.estimate_store` (single
flight): a state is the site's `state_version`, the model's `fitted_at` and the
15-second instant, so a read whose state is already stored does no estimator
work and no writes.

One idea a module:

- `snapshot`: the site's state as the estimator sees it (stations, who waits, the day's plan), from the database.
- `models`: the site's history as visit records, the refit (once, by one worker), the stored model and its summary.
- `states`: a state's name and computing a result once per state for every worker (`shared`).
- `views`: an estimate as the API shows it, and as people not in line read it (`headline`, `for_newcomers`).
- `live`: the site's estimates for every waiting ticket and a newcomer of each walk-in service (`site_estimates`).
- `wait`: the public wait of a site (`wait_summary`).
- `accuracy`: how the ranges promised at joining held (`accuracy_report`).
- `best_times`: the expected wait in each half hour of the coming week, renewed every 5 minutes.
"""
