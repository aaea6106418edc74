"""The estimator's compiled kernel is warmed beside start-up, never inside `create_app` itself."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def run_python(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCHEDQ_")}
    environment.update(SCHEDQ_INSTANCE_DIR=str(tmp_path / "instance"), SCHEDQ_SEED_DEMO="false", **env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_creating_the_app_does_not_load_the_compiler(tmp_path):
    done = run_python(
        """
        import sys
        from schedq import create_app
        create_app()
        print("numba" in sys.modules)
    """,
        tmp_path,
        SCHEDQ_ESTIMATOR_WARM_UP="false",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_app_compiles_the_kernel_in_a_background_thread(tmp_path):
    done = run_python(
        """
        from schedq import create_app
        from schedq.estimator.policy_kernel import warm_up_in_background
        create_app()
        warm_up_in_background().join()  # the thread create_app started
        from schedq.estimator._policy_compiled import play
        print(len(play.signatures))
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
