"""Peers, side by side with our envs on the same machine in the same run.

- gymnax ``BernoulliBandit-misc`` vs our two-armed bandit behind ``metarl_jax.compat.gymnax``
  (dependent arms p, 1 − p with p ∈ {0.1, 0.9}: gymnax's default task), both stepped through
  gymnax's ``step`` with its auto-reset, per-env keys split every step as purejaxrl does,
  random actions, in one jitted ``lax.scan``; checksums vs Monte-Carlo references.
- NeuroGym ``DawTwoStep-v0`` through its gymnasium API, run by ``peers/neurogym_two_step.py``
  in a separate Python that has neurogym (``--neurogym-python``; see README.md).

Each peer is skipped, with the reason printed, when it is not installed.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compile_row, compile_timed, row, time_interleaved  # noqa: E402
from env_only import _sums, check_checksums, monte_carlo_reference  # noqa: E402

from metarl_jax.core.keys import split_episode_key  # noqa: E402

HERE = Path(__file__).resolve().parent
NEUROGYM_SCRIPT = HERE / "peers" / "neurogym_two_step.py"
EPISODE = 100  # steps per episode of both bandits


def autoreset_rollout_fn(env: Any, params: Any, batch: int, steps: int):
    """Jitted ``run(key) -> (4,)`` checksums of ``steps`` auto-reset steps of ``batch`` gymnax envs
    (the initial reset observation is not counted; each episode's reset one is, as it is returned
    by the step that ends the previous episode)."""
    num_actions = env.num_actions
    reset = jax.vmap(env.reset, in_axes=(0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    @jax.jit
    def run(key):
        k_reset, k_steps, k_act = split_episode_key(key)  # the rollouts' contract
        _, state = reset(jax.random.split(k_reset, batch), params)
        keys = jax.random.split(k_steps, (steps, batch))
        actions = jax.random.randint(k_act, (steps, batch), 0, num_actions, dtype=jnp.int32)

        def body(carry, xs):
            state, acc = carry
            k, a = xs
            out = step(k, state, a, params)
            obs, state, reward = out[0], out[1], out[2]
            return (state, acc + _sums(obs, reward)), None

        (_, acc), _ = jax.lax.scan(body, (state, jnp.zeros(4, jnp.float32)), (keys, actions))
        return acc

    return run


def bench_gymnax(batches: tuple[int, ...], rows: list, quick: bool) -> dict[int, tuple[float, float]] | None:
    """{batch: (ours trials/s, gymnax trials/s)}; None (reason printed) without gymnax."""
    try:
        import gymnax

        from metarl_jax.compat.gymnax import make as make_compat
    except ImportError as err:
        print(f"  skip gymnax peer: {err} (pip install gymnax six, or the bench extra)")
        return None
    peer, peer_params = gymnax.make("BernoulliBandit-misc")
    ours, our_params = make_compat("bandit", distribution="dependent", difficulty="easy")
    contenders = {
        "gymnax/BernoulliBandit-misc": (peer, peer_params),
        "bandit": (ours, our_params),
    }
    refs = {}
    for name, (env, params) in contenders.items():
        # reference: one auto-reset episode per row, counted as the stream counts it
        refs[name] = monte_carlo_reference(
            env.reset, env.step, env.num_actions, params, EPISODE, include_reset_obs=False
        )
    # Steps per call: short calls, so that several interleaved rounds fit (the fastest kept).
    target = 2**16 if quick else 2**18
    out = {}
    for batch in batches:
        steps = max(1, target // (batch * EPISODE)) * EPISODE
        calls, compile_times = {}, {}
        for name, (env, params) in contenders.items():
            fn = autoreset_rollout_fn(env, params, batch, steps)
            compiled, compile_times[name] = compile_timed(fn, jax.random.key(0))
            sums = np.asarray(compiled(jax.random.key(0)), np.float64)
            n_episodes = batch * steps / EPISODE
            check_checksums(f"{name} auto-reset batch {batch}", sums[None], n_episodes, *refs[name], 1024)
            calls[name] = functools.partial(compiled, jax.random.key(1))
        seconds = time_interleaved(calls, min_time=0.5 if quick else 3.0)
        res = {}
        for name, sec in seconds.items():
            rate = batch * steps / sec  # one step = one trial for both
            res[name] = rate
            extra = {"api": "gymnax.step (auto-reset)", "reference": "Monte-Carlo"}
            rows.append(row("peer_gymnax", name, "autoreset", "env_steps_per_s", batch, rate, False, **extra))
            rows.append(row("peer_gymnax", name, "autoreset", "trials_per_s", batch, rate, False, **extra))
            rows.append(compile_row("peer_gymnax", name, "autoreset", batch, compile_times[name], api=extra["api"]))
        out[batch] = (res["bandit"], res["gymnax/BernoulliBandit-misc"])
    rows.append(row("peer_gymnax", "gymnax", "version", "version", 1, None, False, gymnax_version=_version("gymnax")))
    return out


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def find_neurogym_python(given: str | None) -> tuple[str | None, str]:
    """(python, how found) or (None, why not): --neurogym-python, $NEUROGYM_PYTHON, or this Python."""
    candidate = given or os.environ.get("NEUROGYM_PYTHON")
    if candidate:
        if not Path(candidate).exists():
            return None, f"{candidate} does not exist"
        return candidate, "given"
    try:
        import neurogym  # noqa: F401

        return sys.executable, "this Python has neurogym"
    except ImportError:
        return None, (
            "neurogym is not installed here (it pins numpy/gymnasium versions that conflict with ours): "
            "make its venv as benchmarks/README.md says and pass --neurogym-python PATH"
        )


def bench_neurogym(python: str | None, rows: list, mode: str) -> dict[str, Any] | None:
    """Run the NeuroGym script in ``python``; rows appended; None (reason printed) when unavailable."""
    python, how = find_neurogym_python(python)
    if python is None:
        print(f"  skip NeuroGym peer: {how}")
        return None
    cmd = [python, str(NEUROGYM_SCRIPT)] + ([f"--{mode}"] if mode in ("quick", "smoke") else [])
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as err:
        print(f"  skip NeuroGym peer: {python} failed to run: {err}")
        return None
    if proc.returncode != 0:
        print(f"  skip NeuroGym peer: {python} {NEUROGYM_SCRIPT.name} exited {proc.returncode}: {proc.stderr[-800:]}")
        return None
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    versions = {k: v for k, v in data.items() if k.endswith("_version")}
    for r in data["results"]:
        if not r["checksum_ok"]:
            raise AssertionError(f"NeuroGym checksum off its analytic value: {r}")
        variant = f"{r['api']}/{r['policy']}"
        extra = {**versions, "note": "2 steps per trial (choice, then fixation); fixating first aborts"}
        env = "neurogym/DawTwoStep-v0"
        rows.append(
            row("peer_neurogym", env, variant, "env_steps_per_s", r["batch"], r["env_steps_per_s"], False, **extra)
        )
        rows.append(row("peer_neurogym", env, variant, "trials_per_s", r["batch"], r["trials_per_s"], False, **extra))
    return data
