import math
import tomllib

import pytest

from schedq.simulation import scenario


@pytest.mark.parametrize("name", scenario.builtin_names())
def test_every_shipped_scenario_loads(name):
    loaded = scenario.builtin(name)

    assert loaded.name == name
    assert loaded.services and loaded.stations and loaded.plan and loaded.hours


def test_the_four_literature_scenarios_are_shipped():
    assert {"rural", "suburban", "hospital", "skills"} <= set(scenario.builtin_names())


def test_true_model_carries_the_scenario_truth():
    s = scenario.builtin("suburban")
    model = s.true_model()

    assert model.services["DRAW"].mean_minutes == pytest.approx(7.0)
    assert math.sqrt(math.expm1(model.services["DRAW"].sigma ** 2)) == pytest.approx(0.45)
    assert model.no_show_rate == 0.12
    assert model.lateness.mean_minutes == -15.0
    assert model.walk_in_rate_per_hour[0][16] == 26.5  # Monday 08:00-08:30
    assert model.walk_in_rate_per_hour[5][16] == 0.0  # closed on Saturday


def test_walk_in_profile_is_piecewise_constant():
    s = scenario.builtin("rural")

    rates = s.half_hour_rates()

    assert rates[13] == 0.0 and rates[14] == 17.0 and rates[16] == 19.5 and rates[29] == 0.0


def test_a_station_with_an_unknown_service_is_refused():
    data = tomllib.loads(
        (scenario.resources.files("schedq.simulation") / "scenarios" / "tiny.toml").read_text()
    )
    data["stations"][0]["services"].append("XYZ")

    with pytest.raises(ValueError, match="unknown services"):
        scenario.parse(data)
