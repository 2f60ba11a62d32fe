"""Every README example runs, in its --smoke form (GPU and multi-host commands aside)."""

import re
import shlex
from pathlib import Path

import pytest

from metarl_jax import pipeline
from metarl_jax.plotting.__main__ import main as plotting_main
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


def test_every_experiment_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ran = 0
    for line in _commands():
        if "XLA_FLAGS" in line or "pip install" in line or "--table" in line:
            continue  # multi-device: tests/training/test_devices.py; installs: CI itself; bandit tables:
            # tests/test_bandit_experiment.py (a table trains one run per cell)
        if "--pixels" in line:
            continue  # its --smoke run, with assertions: tests/test_harlow_experiment.py::test_harlow_pixels_smoke_run
        argv = shlex.split(line)
        script = re.fullmatch(r"experiments/(\w+)\.py", argv[1]) if len(argv) > 1 else None
        if argv[0] == "python" and script and script.group(1) in pipeline.EXPERIMENTS:
            spec = pipeline.EXPERIMENTS[script.group(1)]()
            args = argv[2:] if "--resume" in argv else without_flags(argv[2:], RUN_SIZE_FLAGS)
            if "--help" in args:
                with pytest.raises(SystemExit) as exc:
                    pipeline.main(spec, args)
                assert exc.value.code == 0
            else:
                assert pipeline.main(spec, [*args, "--smoke", "--quiet"]) == 0, line
            ran += 1
        elif argv[:3] == ["python", "-m", "metarl_jax.plotting"]:
            run = sorted(p for p in (tmp_path / "runs" / "two_step").iterdir() if p.name != "long")[0]
            assert plotting_main([str(run)]) == 0
            ran += 1
    assert ran >= 11
    assert (tmp_path / "runs" / "two_step" / "long" / "tensorboard").exists() is False
    assert len(list((tmp_path / "runs" / "two_step").iterdir())) >= 4
