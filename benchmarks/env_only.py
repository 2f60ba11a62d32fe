"""Env-only throughput of every registered env through the shipped ``reset`` / ``step`` API,
and the memory an episode needs.

Rollouts: ``rounds`` × ``batch`` whole episodes in one jitted ``lax.scan``, each episode
reset at the start of its round with its own key (no auto-reset: our envs' semantics),
its own key at every step, actions uniformly random in [0, num_actions). Every reward
and observation is folded into four checksums (Σr, Σr², Σobs, Σobs², the reset
observation included) that are compared with a
reference mean per episode, analytic where the task gives one (two-step, bandit), else
a Monte-Carlo estimate from a separate step-by-step loop, so XLA cannot drop the work
and a wrong rollout fails loudly.

python benchmarks/env_only.py --memory-check two_step --batch 1048576   # used by run_all (own process)
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import GIB, available_memory_bytes, compile_row, compile_timed, row, time_call  # noqa: E402

from metarl_jax.core.keys import split_episode_key  # noqa: E402
from metarl_jax.registry import make  # noqa: E402

QUANTITIES = ("reward", "reward_sq", "obs", "obs_sq")
MEMORY_BUDGET = 24 * GIB  # the card size the issue asks about
# Largest benchmarked batch per env (others: every batch asked for). harlow_pixels: a screen
# is 32 x 32 x 3 float32 = 12 KiB per episode per step, so 65,536 episodes make 0.8 GB of
# screens per step (plus 4 KiB of object images each in the state); 2^20 would need ~17 GB.
MAX_BATCH = {"harlow_pixels": 65536}


def batches_for(name: str, batches: tuple[int, ...]) -> tuple[int, ...]:
    """``batches`` without those above the env's MAX_BATCH."""
    return tuple(b for b in batches if b <= MAX_BATCH.get(name, b))


def _sums(obs: jax.Array, reward: jax.Array) -> jax.Array:
    """(4,) float32: Σr, Σr², Σobs, Σobs² over everything given."""
    r = reward.astype(jnp.float32)
    o = obs.astype(jnp.float32)
    return jnp.stack([r.sum(), (r * r).sum(), o.sum(), (o * o).sum()])


def env_rollout_fn(env: Any, params: Any, batch: int, rounds: int, max_steps: int | None = None) -> Callable:
    """Jitted ``run(key) -> (rounds, 4)`` float32 checksums (see module docstring).
    Each round draws its step keys (steps, batch) and actions up front, as a training
    rollout does, so the scan body holds only the env step and the checksum.
    ``max_steps`` cuts episodes short (memory checks: the scan carry, not the length, sets memory)."""
    steps = env.num_steps(params) if max_steps is None else max_steps
    num_actions = env.num_actions
    reset = jax.vmap(env.reset, in_axes=(0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def one_round(_, key):
        k_reset, k_steps, k_act = split_episode_key(key)  # the rollouts' contract
        obs, state = reset(jax.random.split(k_reset, batch), params)
        keys = jax.random.split(k_steps, (steps, batch))  # episode e's key at step t: keys[t, e]
        actions = jax.random.randint(k_act, (steps, batch), 0, num_actions, dtype=jnp.int32)

        def body(carry, xs):
            state, acc = carry
            k, a = xs
            obs, state, reward, *_ = step(k, state, a, params)
            return (state, acc + _sums(obs, reward)), None

        acc0 = _sums(obs, jnp.zeros((batch,), jnp.float32))
        (_, acc), _ = jax.lax.scan(body, (state, acc0), (keys, actions))
        return None, acc

    @jax.jit
    def run(key):
        return jax.lax.scan(one_round, None, jax.random.split(key, rounds))[1]

    return run


# --------------------------------------------------------------------------- references


def analytic_reference(name: str, env: Any, params: Any) -> np.ndarray | None:
    """Per-episode means of (Σr, Σr², Σobs, Σobs²) under uniformly random actions, where known.
    two-step: either first-stage action reaches the good state w.p. ½ → reward ½ per trial
    (0/1, so r² = r); one-hot observations, one per step plus the reset one.
    bandit: E[p of a uniformly random arm] = ½ for independent U[0,1] and for (p, 1 − p) arms;
    observations are zeros."""
    trials = params.trials_per_episode
    if name == "two_step":
        n_obs = env.num_steps(params) + 1
        return np.array([0.5 * trials, 0.5 * trials, n_obs, n_obs], float)
    if name == "bandit":
        return np.array([0.5 * trials, 0.5 * trials, 0.0, 0.0])
    return None


def monte_carlo_reference(
    reset: Callable,
    step: Callable,
    num_actions: int,
    params: Any,
    steps: int,
    episodes: int = 1024,
    seed: int = 12345,
    include_reset_obs: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) over ``episodes`` of the per-episode checksums (Σr, Σr², Σobs, Σobs²) of
    ``steps`` steps after a reset (whose observation counts unless ``include_reset_obs`` is
    False): a Python loop of jitted vmapped single steps, a code path separate from the
    benchmark's fused scan. Works for 5- and 6-tuple (auto-reset) steps alike."""
    reset_b = jax.jit(jax.vmap(reset, in_axes=(0, None)))
    step_b = jax.vmap(step, in_axes=(0, 0, 0, None))
    fold = jax.vmap(jax.random.fold_in, in_axes=(0, None))
    k_reset, k_episode, k_act = jax.random.split(jax.random.key(seed), 3)
    episode_keys = jax.random.split(k_episode, episodes)

    @jax.jit
    def advance(state, t):
        actions = jax.random.randint(jax.random.fold_in(k_act, t), (episodes,), 0, num_actions, dtype=jnp.int32)
        out = step_b(fold(episode_keys, t), state, actions, params)
        return out[0], out[1], out[2]

    def per_episode(obs, reward):
        o = np.asarray(obs, np.float64).reshape(episodes, -1)
        r = np.asarray(reward, np.float64)
        return np.stack([r, r * r, o.sum(1), (o * o).sum(1)], axis=1)

    obs, state = reset_b(jax.random.split(k_reset, episodes), params)
    acc = per_episode(obs, np.zeros(episodes)) * include_reset_obs
    for t in range(steps):
        obs, state, reward = advance(state, jnp.int32(t))
        acc += per_episode(obs, reward)
    return acc.mean(0), acc.std(0)


def check_checksums(
    label: str,
    sums: np.ndarray,
    n_episodes: float,
    ref_mean: np.ndarray,
    ref_std: np.ndarray,
    n_ref: int | None,
) -> np.ndarray:
    """Per-episode means of the benchmark's checksums; AssertionError unless each lies within
    6 standard errors (+ float32 slack) of the reference. n_ref None = analytic reference."""
    means = np.asarray(sums, np.float64).sum(0) / n_episodes
    se = ref_std * math.sqrt(1.0 / n_episodes + (1.0 / n_ref if n_ref else 0.0))
    tol = 6 * se + 1e-4 * (np.abs(ref_mean) + 1.0)
    bad = [
        f"{q}: {m:.6g} vs reference {r:.6g} (tolerance {t:.3g})"
        for q, m, r, t in zip(QUANTITIES, means, ref_mean, tol)
        if not abs(m - r) <= t
    ]
    if bad:
        raise AssertionError(f"{label}: checksum off its reference mean per episode: " + "; ".join(bad))
    return means


class Reference:
    """Reference per-episode means (+ spread) of one env config, computed once."""

    def __init__(self, name: str, env: Any, params: Any):
        steps = env.num_steps(params)
        mc_mean, mc_std = monte_carlo_reference(env.reset, env.step, env.num_actions, params, steps)
        analytic = analytic_reference(name, env, params)
        if analytic is not None:  # the Monte-Carlo loop must agree with the analytic means too
            check_checksums(f"{name} Monte-Carlo reference", mc_mean[None] * 1024, 1024, analytic, mc_std, None)
        self.mean = analytic if analytic is not None else mc_mean
        self.std = mc_std
        self.n = None if analytic is not None else 1024
        self.kind = "analytic" if analytic is not None else "Monte-Carlo"

    def check(self, label: str, sums: np.ndarray, n_episodes: float) -> np.ndarray:
        return check_checksums(label, sums, n_episodes, self.mean, self.std, self.n)


# --------------------------------------------------------------------------- throughput


def variant_of(params: Any) -> str:
    return str(getattr(params, "variant", "default"))


def compiled_peak_bytes(compiled: Any) -> int | None:
    """Bytes XLA's buffer assignment reserves for a compiled computation: arguments + outputs +
    temporaries (an upper bound of its peak; None where the backend does not say). The
    backend's own ``peak_memory_in_bytes`` is not used: XLA:CPU reports a constant there."""
    try:
        stats = compiled.memory_analysis()
    except Exception:
        return None
    if stats is None:
        return None
    return int(stats.argument_size_in_bytes + stats.output_size_in_bytes + stats.temp_size_in_bytes)


def bench_env(
    name: str,
    batches: tuple[int, ...],
    rows: list,
    quick: bool,
    min_time: float | None = None,
    target_steps: int | None = None,
    **overrides: Any,
) -> dict[int, tuple[float, float]]:
    """Env steps/s and trials/s at each batch (after compilation); rows appended.
    A batch whose planned memory exceeds half of the free memory is skipped with a reason."""
    env, params = make(name, **overrides)
    variant = variant_of(params)
    steps, trials = env.num_steps(params), params.trials_per_episode
    batches = batches_for(name, batches)
    ref = Reference(name, env, params)
    target = target_steps or (2**16 if quick else 2**20)
    min_time = min_time if min_time is not None else (0.3 if quick else 1.0)
    out = {}
    for batch in batches:
        rounds = max(1, min(2000, target // (batch * steps)))
        fn = env_rollout_fn(env, params, batch, rounds)
        compiled, compile_s = compile_timed(fn, jax.random.key(0))
        peak = compiled_peak_bytes(compiled)
        free = available_memory_bytes()
        if peak is not None and free is not None and peak > free // 2:
            print(f"  skip {name} batch {batch}: XLA plans {peak / GIB:.1f} GiB, {free / GIB:.1f} GiB free")
            continue
        sums = np.asarray(compiled(jax.random.key(0)))
        ref.check(f"{name}/{variant} batch {batch}", sums, rounds * batch)
        sec = time_call(lambda: compiled(jax.random.key(1)), min_time=min_time)
        n_steps, n_trials = rounds * batch * steps, rounds * batch * trials
        out[batch] = (n_steps / sec, n_trials / sec)
        extra = {"reference": ref.kind, "episodes_per_call": rounds * batch}
        rows.append(row("env_only", name, variant, "env_steps_per_s", batch, n_steps / sec, False, **extra))
        rows.append(row("env_only", name, variant, "trials_per_s", batch, n_trials / sec, False, **extra))
        rows.append(compile_row("env_only", name, variant, batch, compile_s))
    return out


def bench_python_loop(name: str, rows: list, steps: int = 2000, **overrides: Any) -> float:
    """Batch 1, one jitted ``env.step`` per Python call (how a gym user steps an env), keys and
    actions prepared beforehand, rewards kept on the device: trials/s."""
    env, params = make(name, **overrides)
    step, reset = jax.jit(env.step), jax.jit(env.reset)
    per_episode = env.num_steps(params)
    actions = [np.int32(a) for a in np.random.default_rng(0).integers(0, env.num_actions, steps)]
    keys = list(jax.random.split(jax.random.key(0), steps))
    obs, state = reset(keys[0], params)
    jax.block_until_ready(step(keys[0], state, actions[0], params))  # compile
    rewards = []
    t0 = time.perf_counter()
    for t in range(steps):
        if t % per_episode == 0:
            obs, state = reset(keys[t], params)
        obs, state, reward, *_ = step(keys[t], state, actions[t], params)
        rewards.append(reward)
    jax.block_until_ready(rewards)
    sec = time.perf_counter() - t0
    mean = float(np.mean(np.asarray(rewards)))
    ref = analytic_reference(name, env, params)
    if ref is not None:  # per-step mean reward of random actions
        expected = ref[0] / per_episode
        assert abs(mean - expected) < 6 * 0.5 / math.sqrt(steps) + 1e-6, (name, mean, expected)
    trials_s = steps / env.steps_per_trial(params) / sec
    rows.append(row("env_python_loop", name, variant_of(params), "env_steps_per_s", 1, steps / sec, False))
    rows.append(row("env_python_loop", name, variant_of(params), "trials_per_s", 1, trials_s, False))
    return trials_s


# --------------------------------------------------------------------------- memory


def tree_bytes(tree: Any) -> int:
    return int(sum(math.prod(x.shape) * x.dtype.itemsize for x in jax.tree.leaves(tree)))


def episode_bytes(env: Any, params: Any) -> tuple[int, int]:
    """(env state bytes, observation bytes) of one episode, from shapes (jax.eval_shape)."""
    obs, state = jax.eval_shape(lambda k: env.reset(k, params), jax.random.key(0))
    return tree_bytes(state), tree_bytes(obs)


def working_set(env: Any, params: Any, batch: int) -> int | None:
    """XLA's planned peak bytes of one env-only round at ``batch`` (compiled, never run)."""
    fn = env_rollout_fn(env, params, batch, rounds=1, max_steps=2)
    return compiled_peak_bytes(fn.lower(jax.random.key(0)).compile())


def memory_check_subprocess(name: str, batch: int) -> dict[str, Any]:
    """Run one round (reset + 2 steps) at ``batch`` in a fresh process: its RSS just before the
    run and its peak RSS during it (and XLA's plan), checksum checked finite."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-check", name, "--batch", str(batch)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"memory check of {name} at batch {batch} failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_memory(name: str, rows: list, run_check: bool, check_budget: int | None = None) -> dict[str, Any]:
    """Bytes per episode from shapes; the largest batch in 24 GiB from XLA's planned working set
    (linear in the batch: slope between two batches); that plan compiled (not run) at the derived
    batch; one real run below it, within ``check_budget`` bytes (default 40% of free memory)."""
    env, params = make(name)
    variant = variant_of(params)
    state_b, obs_b = episode_bytes(env, params)
    b1, b2 = 4096, 65536
    p1, p2 = working_set(env, params, b1), working_set(env, params, b2)
    out: dict[str, Any] = {"env": name, "state_bytes": state_b, "obs_bytes": obs_b}
    rows.append(row("memory", name, variant, "env_state_bytes_per_episode", 1, state_b, False))
    rows.append(row("memory", name, variant, "obs_bytes_per_episode", 1, obs_b, False))
    if p1 is None or p2 is None:
        print(f"  memory: {name}: this backend gives no memory plan; only shapes reported")
        return out
    per_episode = (p2 - p1) / (b2 - b1)
    fixed = max(0.0, p1 - per_episode * b1)
    max_batch = int((MEMORY_BUDGET - fixed) // per_episode)
    out.update(working_set_bytes=per_episode, max_batch_24gib=max_batch)
    rows.append(row("memory", name, variant, "working_set_bytes_per_episode", 1, per_episode, False))
    rows.append(row("memory", name, variant, "max_batch_in_24GiB", 1, max_batch, False))
    try:  # XLA's plan at the derived batch, compiled only
        planned = working_set(env, params, max_batch)
        out["planned_bytes_at_max"] = planned
        rows.append(row("memory", name, variant, "planned_bytes_at_max_batch", 1, planned, False))
    except Exception as err:  # e.g. index overflow at very large shapes
        print(f"  memory: {name}: compiling at batch {max_batch} failed ({type(err).__name__}): {err}")
    if run_check:
        free = available_memory_bytes() or MEMORY_BUDGET
        budget = min(MEMORY_BUDGET, check_budget if check_budget is not None else int(0.4 * free))
        batch = 2 ** int(math.log2(max(1.0, (budget - fixed) / per_episode)))
        batch = min(batch, max_batch)
        res = memory_check_subprocess(name, batch)
        out.update(
            checked_batch=batch,
            checked_rss_bytes=res["peak_rss_bytes"],
            checked_planned=res["planned_bytes"],
            baseline_rss_bytes=res["baseline_rss_bytes"],
        )
        grown = res["peak_rss_bytes"] - res["baseline_rss_bytes"]
        rows.append(row("memory", name, variant, "checked_rss_growth_bytes", batch, grown, False))
        extra = {"planned_bytes": res["planned_bytes"], "baseline_rss_bytes": res["baseline_rss_bytes"]}
        rows.append(
            row("memory", name, variant, "checked_peak_rss_bytes", batch, res["peak_rss_bytes"], False, **extra)
        )
    return out


def _status_bytes(field: str) -> int | None:
    """VmRSS / VmHWM of this process from /proc/self/status (None where unavailable)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _memory_check_main(name: str, batch: int) -> None:
    """Child of memory_check_subprocess: compile one round at ``batch``, reset the peak-RSS
    mark (/proc/self/clear_refs), run it, report the peak RSS and the RSS just before."""
    env, params = make(name)
    compiled = env_rollout_fn(env, params, batch, rounds=1, max_steps=2).lower(jax.random.key(0)).compile()
    planned = compiled_peak_bytes(compiled)
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    baseline = _status_bytes("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sums = np.asarray(compiled(jax.random.key(0)))
    peak = _status_bytes("VmHWM") if reset else None
    peak = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert np.all(np.isfinite(sums)), sums
    print(json.dumps({"peak_rss_bytes": peak, "baseline_rss_bytes": baseline, "planned_bytes": planned}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="internal: memory check of one env at one batch")
    parser.add_argument("--memory-check", required=True)
    parser.add_argument("--batch", type=int, required=True)
    args = parser.parse_args()
    _memory_check_main(args.memory_check, args.batch)
