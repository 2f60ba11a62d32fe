"""Command line -> validated :class:`Setup`: flags, variant switches, resume policy and the run
directory's name, all before any compilation (a bad value exits 2 with one line)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, NoReturn, Sequence

from metarl_jax.core.errors import ConfigError
from metarl_jax.pipeline.recording import record_fields, recording_bytes
from metarl_jax.pipeline.spec import Experiment, Setup
from metarl_jax.training.checkpoint import list_checkpoints
from metarl_jax.training.cli import config_error_exit, flag, parse_flags
from metarl_jax.training.config import (
    RunConfig,
    TrainConfig,
    encoder_choices,
    to_dict,
    validate_encoder,
    validate_run_config,
    validate_train_config,
)
from metarl_jax.training.cpu_devices import configure_cpu_devices
from metarl_jax.training.memory import check_memory
from metarl_jax.training.run_dir import default_run_name, environment_info

# Flags a resumed run may change: they do not alter training up to the checkpoint.
RESUMABLE_TRAIN_FIELDS = ("total_episodes", "eval_episodes", "eval_policy")
EXIT_BAD_CONFIG, EXIT_NON_FINITE = 2, 3


def fail(prog: str, message: str) -> NoReturn:
    """One line on stderr and exit status 2."""
    sys.stderr.write(f"{prog}: error: {message}\n")
    raise SystemExit(EXIT_BAD_CONFIG)


def validated_env(prog: str, spec: Experiment, env: Any, train: TrainConfig, env_params: Any) -> Any:
    """The env instance serving ``env_params``, after validating the env params and the
    training config against it; exit 2 with one line on a bad value."""
    env = env.for_params(env_params)  # action count follows params (bandit arms, Harlow fixation)
    try:
        env.validate(env_params)
        validate_train_config(train)
        validate_encoder(train, tuple(env.observation_shape(env_params)))
    except ConfigError as err:
        config_error_exit(prog, err)
    return env


def config_record(
    spec: Experiment, train: TrainConfig, run: RunConfig, env_params: Any, layout: Any, run_id: str
) -> dict:
    """config.json of a run (single-host and multi-host alike): the run's id, the exact configs,
    versions, device, git commit, the seed layout and the command."""
    return {
        "run_id": run_id,
        "experiment": spec.name,
        "env": spec.env_name,
        "train": to_dict(train),
        "run": to_dict(run),
        "env_params": to_dict(env_params),
        "environment": environment_info(),
        "seed_layout": layout.info(),
        "command": sys.argv,
    }


def _resumed_configs(
    prog: str, resume: Path, given: set[str], train: TrainConfig, run: RunConfig, env_params: Any
) -> tuple[TrainConfig, RunConfig, Any]:
    """The saved run's configs; flags given now must agree with them (except a few)."""
    path = resume / "config.json"
    if not path.is_file():
        fail(prog, f"--resume={resume}: not a run directory (no config.json)")
    try:
        saved = json.loads(path.read_text())
        saved_train = TrainConfig(**saved["train"])
        saved_env = env_params.replace(**saved["env_params"])
    except json.JSONDecodeError as err:
        fail(prog, f"--resume={resume}: config.json is damaged ({err.msg} at line {err.lineno})")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        fail(prog, f"--resume={resume}: config.json was not written by this version ({type(err).__name__}: {err})")
    for obj, saved_obj, kind in ((train, saved_train, "train"), (env_params, saved_env, "env")):
        for field in dataclasses.fields(obj):
            name = field.name
            if name not in given or (kind == "train" and name in RESUMABLE_TRAIN_FIELDS):
                continue
            if getattr(obj, name) != getattr(saved_obj, name):
                fail(
                    prog,
                    f"{flag(name)}={getattr(obj, name)}: the resumed run has {getattr(saved_obj, name)} "
                    f"(only {', '.join(flag(n) for n in RESUMABLE_TRAIN_FIELDS)} may change on resume)",
                )
    updates = {n: getattr(train, n) for n in RESUMABLE_TRAIN_FIELDS if n in given}
    saved_train = dataclasses.replace(saved_train, **updates)
    saved_run = saved.get("run", {})
    run_updates = {}
    if "checkpoint_every" not in given and saved_run.get("checkpoint_every"):
        run_updates["checkpoint_every"] = saved_run["checkpoint_every"]
    run = dataclasses.replace(run, **run_updates)
    return saved_train, run, saved_env


def saved_experiment(run_dir: str | Path | None) -> str | None:
    """The experiment name recorded in a run directory's config.json, if there is one."""
    path = Path(run_dir) / "config.json" if run_dir else None
    if path is None or not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return None  # reported where the configs are read (_resumed_configs)
    return saved.get("experiment") if isinstance(saved, dict) else None


def _variant_section(spec: Experiment, names: dict[str, str]) -> Any:
    """The variant switches as a flag section (so --help lists them); each defaults to
    whether ``spec`` is the experiment it selects."""
    fields = [(name, bool, dataclasses.field(default=names[name] == spec.name)) for name, _ in spec.variants]
    described = {"FLAG_HELP": {name: f"run experiment {names[name]} (its own defaults)" for name, _ in spec.variants}}
    return dataclasses.make_dataclass("Variants", fields, frozen=True, namespace=described)()


def select_variant(spec: Experiment, argv: Sequence[str] | None) -> Experiment:
    """The experiment a command line asks for: a variant flag given (``--pixels``), or the
    experiment of the run that ``--resume DIR`` continues; else ``spec``."""
    if not spec.variants:
        return spec
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--resume")
    for name, _ in spec.variants:
        pre.add_argument(flag(name), dest=name, action=argparse.BooleanOptionalAction, default=None)
    known, _ = pre.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    chosen = [factory() for name, factory in spec.variants if getattr(known, name)]
    if not chosen:
        saved = saved_experiment(known.resume)
        chosen = [s for s in (factory() for _, factory in spec.variants) if s.name == saved]
    return chosen[0] if chosen and chosen[0].name != spec.name else spec


def parse(spec: Experiment, argv: Sequence[str] | None, prog: str) -> Setup:
    """Flags -> validated Setup; exit 2 with one line on a bad value, before any compile."""
    env, env_defaults = spec.env_and_defaults()
    run_defaults = RunConfig(record=spec.record_default)
    sections = [("training", spec.train_defaults), ("run", run_defaults), ("environment", env_defaults)]
    smoke = [spec.smoke_train, {}, spec.smoke_env]
    if spec.variants:
        names = {name: factory().name for name, factory in spec.variants}
        sections.append(("variant (another experiment)", _variant_section(spec, names)))
        smoke.append({})
    (train_cfg, run_cfg, env_params, *_), given = parse_flags(
        prog,
        spec.description,
        argv,
        sections,
        smoke_overrides=smoke,
        choices={"encoder": encoder_choices(tuple(env.observation_shape(env_defaults)))},
    )
    if run_cfg.resume:
        saved = saved_experiment(run_cfg.resume)
        if saved not in (None, spec.name):
            fail(prog, f"--resume={run_cfg.resume}: that run is experiment {saved!r}, not {spec.name!r}")
        train_cfg, run_cfg, env_params = _resumed_configs(
            prog, Path(run_cfg.resume), given, train_cfg, run_cfg, env_params
        )
    env = validated_env(prog, spec, env, train_cfg, env_params)
    try:
        validate_run_config(run_cfg, train_cfg)
        if spec.validate_training and not run_cfg.eval_only:
            spec.validate_training(env_params)
        check_memory(train_cfg, env, env_params)
        configure_cpu_devices(train_cfg.num_seeds, run_cfg.cpu_devices)  # before JAX starts
    except ConfigError as err:
        config_error_exit(prog, err)
    fields = record_fields(run_cfg.record)
    if fields:
        need = recording_bytes(fields, train_cfg.num_seeds, train_cfg.eval_episodes, env.num_steps(env_params),
                               train_cfg.hidden_size, env.num_actions)  # fmt: skip
        if need > run_cfg.record_max_gb * 2**30:
            fail(prog, f"--record={run_cfg.record}: neural.npz would need {need / 2**30:.1f} GiB, over "
                 f"--record-max-gb={run_cfg.record_max_gb}; record fewer fields or fewer --eval-episodes")  # fmt: skip
    if run_cfg.eval_only and not list_checkpoints(Path(run_cfg.resume) / "checkpoints"):
        fail(prog, f"--eval-only: no checkpoint in {Path(run_cfg.resume) / 'checkpoints'} to evaluate")
    if run_cfg.resume:
        run_dir = Path(run_cfg.resume)
    else:
        run_dir = Path(run_cfg.run_dir or Path("runs") / spec.name / (run_cfg.name or default_run_name()))
        if not (run_cfg.run_dir or run_cfg.name):  # two runs started in the same second
            base, i = run_dir, 1
            while run_dir.exists():
                run_dir, i = base.with_name(f"{base.name}-{i}"), i + 1
    return Setup(spec, train_cfg, run_cfg, env, env_params, spec.eval_params(env_params), run_dir)
