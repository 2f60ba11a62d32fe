"""--help of the experiment scripts: every flag has a one-line description and its default,
fixed-value flags list their choices (a bad one is refused by argparse: exit 2, one line), and
--encoder offers "cnn" only where the env's observations are images."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from metarl_jax import pipeline
from metarl_jax.registry import EXPERIMENTS
from metarl_jax.tasks.bandit.env import DIFFICULTIES, DISTRIBUTIONS, BanditParams
from metarl_jax.tasks.harlow.env import ENCODINGS, PLACEMENTS, HarlowParams
from metarl_jax.tasks.harlow.experiment import harlow
from metarl_jax.tasks.harlow.pixels import HarlowPixelsParams
from metarl_jax.tasks.two_step.env import VARIANTS, TwoStepParams
from metarl_jax.training.cli import flag, parse_flags
from metarl_jax.training.config import ENCODERS, EVAL_POLICIES, OPTIMIZERS, RunConfig, TrainConfig

ROOT = Path(__file__).resolve().parents[2]
CLASSES = (TrainConfig, RunConfig, TwoStepParams, HarlowParams, HarlowPixelsParams, BanditParams)
# Script arguments -> (the env params class, the fixed-value flags and their choices).
SCRIPTS = {
    ("two_step.py",): (TwoStepParams, {"variant": VARIANTS}),
    ("harlow.py",): (HarlowParams, {"placement": PLACEMENTS, "encoding": ENCODINGS}),
    ("harlow.py", "--pixels"): (HarlowPixelsParams, {"placement": PLACEMENTS}),
    ("bandit.py",): (BanditParams, {"distribution": DISTRIBUTIONS, "difficulty": DIFFICULTIES}),
}
TRAIN_CHOICES = {"optimizer": OPTIMIZERS, "eval_policy": EVAL_POLICIES}


def script_help(*args: str) -> str:
    """``python experiments/<script> [args] --help`` on a terminal too wide to wrap a line."""
    cmd = [sys.executable, str(ROOT / "experiments" / args[0]), *args[1:], "--help"]
    env = os.environ | {"COLUMNS": "1000"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def entries(help_text: str) -> dict[str, str]:
    """Each option's entry in --help (its lines joined, whitespace collapsed), by field name."""
    out = {}
    for chunk in re.split(r"\n(?=  -)", help_text):
        chunk = chunk.split("\n\n")[0]  # not the next section's title
        first = chunk.strip().split()[0].rstrip(",")
        if first.startswith("--"):
            out[first[2:].replace("-", "_")] = " ".join(chunk.split())
    return out


def test_every_config_and_params_field_has_a_description():
    for cls in CLASSES:
        names = {f.name for f in dataclasses.fields(cls)}
        described = getattr(cls, "FLAG_HELP", {})
        assert set(described) == names, cls.__name__  # none missing, none for a field that is gone
        assert all(text and "\n" not in text for text in described.values()), cls.__name__
        hints = typing.get_type_hints(cls)
        for name in getattr(cls, "FLAG_CHOICES", {}):
            assert hints[name] is str, (cls.__name__, name)
        assert "FLAG_HELP" not in names and "FLAG_CHOICES" not in names  # class data, not params


@pytest.mark.parametrize("args", list(SCRIPTS), ids=" ".join)
def test_help_describes_every_flag_with_its_default_and_choices(args):
    params, choices = SCRIPTS[args]
    found = entries(script_help(*args))
    spec = pipeline.select_variant(EXPERIMENTS[args[0].removesuffix(".py")](), list(args[1:]))
    for cls, defaults in (
        (TrainConfig, spec.train_defaults),
        (RunConfig, RunConfig()),
        (params, spec.env_and_defaults()[1]),
    ):
        for field in dataclasses.fields(cls):
            entry = found.get(field.name)
            assert entry is not None, flag(field.name)
            assert " ".join(cls.FLAG_HELP[field.name].split()) in entry, entry
            assert entry.endswith(f"(default: {getattr(defaults, field.name)})"), entry
    for name, allowed in {**TRAIN_CHOICES, **choices}.items():
        assert found[name].startswith(f"{flag(name)} {{{','.join(allowed)}}} "), found[name]
    if args[0] == "harlow.py":
        assert "run experiment harlow_pixels" in found["pixels"]


BAD_CHOICES = [
    ("two_step", ["--variant", "three_stage"]),
    ("harlow", ["--placement", "left"]),
    ("harlow", ["--encoding", "pixels"]),
    ("harlow", ["--pixels", "--placement", "left"]),
    ("bandit", ["--distribution", "correlated"]),
    ("bandit", ["--difficulty", "extreme"]),
    ("two_step", ["--optimizer", "sgd"]),
    ("two_step", ["--eval-policy", "argmax"]),
    ("two_step", ["--encoder", "cnn"]),  # two-step observations are no image
    ("harlow", ["--encoder", "cnn"]),  # nor are the symbolic objects
]


def test_a_bad_choice_is_refused_by_argparse_in_one_line(capsys):
    for script, argv in BAD_CHOICES:
        spec = pipeline.select_variant(EXPERIMENTS[script](), argv)
        with pytest.raises(SystemExit) as exc:
            pipeline.parse(spec, argv, f"{script}.py")
        assert exc.value.code == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith(f"{script}.py: error: argument {argv[-2]}: invalid choice: {argv[-1]!r}"), err


def test_a_bad_choice_exits_2_with_one_line_from_the_script():
    cmd = [sys.executable, str(ROOT / "experiments" / "two_step.py"), "--variant", "three_stage"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("two_step.py: error: argument --variant: invalid choice: 'three_stage' (choose from "), err
    assert "trial" in err and "two_stage" in err


def test_encoder_cnn_is_offered_only_for_image_observations(capsys):
    for script, argv, allowed in (
        ("two_step", [], ("none",)),
        ("bandit", [], ("none",)),
        ("harlow", [], ("none",)),
        ("harlow", ["--pixels"], ENCODERS),
    ):
        spec = pipeline.select_variant(EXPERIMENTS[script](), argv)
        with pytest.raises(SystemExit):
            pipeline.parse(spec, [*argv, "--help"], f"{script}.py")
        found = entries(capsys.readouterr().out)
        assert found["encoder"].startswith(f"--encoder {{{','.join(allowed)}}} "), (script, found["encoder"])
        assert "image observations only" in found["encoder"]
    argv = ["--pixels", "--smoke", "--encoder", "cnn"]  # valid on the screen's images
    assert pipeline.parse(pipeline.select_variant(harlow(), argv), argv, "harlow.py").train.encoder == "cnn"


def test_valid_choices_parse_as_before():
    sections = [("training", TrainConfig()), ("environment", TwoStepParams())]
    (train, params), given = parse_flags("p", "", ["--variant", "two_stage", "--optimizer", "adam"], sections)
    assert params.variant == "two_stage" and train.optimizer == "adam" and given == {"variant", "optimizer"}
    argv = ["--encoder", "cnn"]
    (train, _), _ = parse_flags("p", "", argv, sections, choices={"encoder": ENCODERS})
    assert train.encoder == "cnn"
    with pytest.raises(SystemExit) as exc:
        parse_flags("p", "", argv, sections, choices={"encoder": ("none",)})
    assert exc.value.code == 2
    with pytest.raises(ValueError, match="no_such_field"):  # a narrowing that matches no flag is a bug
        parse_flags("p", "", [], sections, choices={"no_such_field": ("a",)})
