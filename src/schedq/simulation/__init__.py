"""Simulated site-days driven through the real service layer, for the wait-accuracy benchmark and demos.

`scenario` describes a site and its true behaviour (TOML files in `scenarios/`);
`world` plays whole days of it against a database with a simulated clock;
`ciw_adapter` scores the estimator against days simulated by Ciw.
Nothing is imported at package import.
"""
