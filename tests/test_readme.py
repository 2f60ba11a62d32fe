"""Every README example runs, in its --smoke form (GPU and multi-host commands aside)."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from metarl_jax import pipeline
from metarl_jax.plotting.__main__ import main as plotting_main
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.training.cli import RUN_SIZE_FLAGS, without_flags

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if line:
                lines.append(line)
    return lines


def test_readme_opens_with_the_two_setup_commands():
    first = _commands()[:2]
    assert first == [
        "pip install -e . && python experiments/two_step.py",
        'pip install -e ".[dev]" && python -m pytest',
    ]


def run_examples(workdir: Path) -> int:
    """Run every experiment and plotting example of the README in ``workdir`` -> how many.
    Run-size flags give way to --smoke sizes, except on --resume lines, where a run's size
    is the point; there --total-episodes extends the smoke run to twice its size."""
    os.chdir(workdir)
    ran, done = 0, set()
    for line in _commands():
        if "XLA_FLAGS" in line or "pip install" in line or "--table" in line:
            continue  # multi-device: tests/training/test_devices.py; installs: CI itself; bandit tables:
            # tests/tasks/bandit/test_bandit_experiment.py (a table trains one run per cell)
        if "--pixels" in line:
            # its --smoke run, with assertions:
            # tests/tasks/harlow/test_harlow_experiment.py::test_harlow_pixels_smoke_run
            continue
        argv = shlex.split(line)
        script = re.fullmatch(r"experiments/(\w+)\.py", argv[1]) if len(argv) > 1 else None
        if argv[0] == "python" and script and script.group(1) in EXPERIMENTS:
            spec = EXPERIMENTS[script.group(1)]()
            args = argv[2:] if "--resume" in argv else without_flags(argv[2:], RUN_SIZE_FLAGS)
            same = (script.group(1), tuple(a for a in args if a != "--smoke"))  # every run is --smoke here
            if same in done:
                continue  # e.g. `experiments/foraging.py` and `... --smoke`: one run
            done.add(same)
            if "--resume" in args and "--total-episodes" in args:
                extended = str(2 * spec.smoke_train["total_episodes"])
                args = [*without_flags(args, ["--total-episodes"]), "--total-episodes", extended]
            if "--help" in args:
                try:
                    pipeline.main(spec, args)
                except SystemExit as exc:
                    assert exc.code == 0, line
                else:
                    raise AssertionError(f"--help did not exit: {line}")
            else:
                assert pipeline.main(spec, [*args, "--smoke", "--quiet"]) == 0, line
            ran += 1
        elif argv[:3] == ["python", "-m", "metarl_jax.plotting"]:
            run = sorted(p for p in (workdir / "runs" / "two_step").iterdir() if p.name != "long")[0]
            assert plotting_main([str(run)]) == 0, line
            ran += 1
    return ran


def test_every_experiment_example_runs(tmp_path, fast_compile_env):
    """In one child process on one CPU device (a process fixes its device count once, and
    one README line asks for one), compiling at XLA's fastest level (tests/conftest.py)."""
    cmd = [sys.executable, __file__, str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=fast_compile_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.split()[-1]) >= 11  # examples run
    long = tmp_path / "runs" / "two_step" / "long"
    assert [json.loads(r)["episodes"] for r in (long / "metrics.jsonl").read_text().splitlines()][-1] == 128
    assert (long / "tensorboard").exists() is False
    assert len(list((tmp_path / "runs" / "two_step").iterdir())) >= 4


if __name__ == "__main__":
    import jax

    jax.config.update("jax_num_cpu_devices", 1)
    print("examples run:", run_examples(Path(sys.argv[1])))
