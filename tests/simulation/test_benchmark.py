from benchmarks import wait_accuracy


def test_quick_benchmark_prints_every_predictor(capsys):
    code = wait_accuracy.main(
        [
            "--scenario",
            "tiny",
            "--scenario",
            "ciw",
            "--training-days",
            "2",
            "--heldout-days",
            "1",
            "--jobs",
            "1",
            "--no-speed",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    for scenario in ("tiny", "ciw"):
        for predictor in wait_accuracy.PREDICTORS:
            assert f"| {scenario} | {predictor} |" in out
    assert "Targets:" in out
