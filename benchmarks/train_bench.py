"""Training benchmarks of the default two-step configuration (``TrainConfig()`` defaults):
throughput vs parallel episodes and vmapped seeds, time-to-science, a profile of one
update, and the fraction of this machine's matmul peak reached.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import compile_row, compile_timed, row, time_call, time_interleaved  # noqa: E402
from env_only import env_rollout_fn  # noqa: E402
from two_step_throughput import train_throughput  # noqa: E402

from metarl_jax.agents.rollout import make_rollout  # noqa: E402
from metarl_jax.core.keys import TRAIN_BRANCH, eval_episode_keys  # noqa: E402
from metarl_jax.registry import make  # noqa: E402
from metarl_jax.tasks.two_step.analysis import analyse_seed, trial_arrays  # noqa: E402
from metarl_jax.training.a2c import a2c_loss, discounted_returns, make_train, step_discounts  # noqa: E402
from metarl_jax.training.config import TrainConfig  # noqa: E402
from metarl_jax.training.loop import seed_keys  # noqa: E402
from metarl_jax.training.seed_layout import SeedLayout, shard_seeds  # noqa: E402

# --------------------------------------------------------------------------- FLOPs and peak


def bench_matmul(rows: list, n: int = 2048, min_time: float = 0.5) -> float:
    """float32 (n, n) @ (n, n), jitted: FLOP/s = 2n³ / seconds (this run's matmul peak)."""
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    matmul = jax.jit(lambda x, y: x @ y)
    sec = time_call(lambda: matmul(a, b), min_time=min_time)
    flops = 2 * n**3 / sec
    rows.append(row("matmul_peak", "matmul", f"float32 {n}x{n}", "flop_per_s", n, flops, False))
    return flops


def lstm_input_size(config: TrainConfig, env: Any, params: Any) -> int:
    """Width of the agent's input: observation, one-hot previous action, previous reward
    (and the trial-time input where the config has it)."""
    return env.observation_shape(params)[0] + env.num_actions + 1 + int(config.time_input)


def flops_per_agent_step(config: TrainConfig, env: Any, params: Any) -> int:
    """Multiply-adds of one LSTM actor-critic step × 2 (FLOPs) × 3 (forward + backward: the
    backward pass costs two matmuls per forward one). Elementwise work is not counted."""
    in_dim = lstm_input_size(config, env, params)
    h = config.hidden_size
    macs = (in_dim + h) * 4 * h + h * env.num_actions + h  # fused gates, policy head, value head
    return 6 * macs


GEMM_STAGES = ("forward [x,h]@W", "backward dh = dgates@W_h^T", "backward dW += [x,h]^T@dgates")


def gemm_step_fns(
    num_seeds: int,
    num_envs: int,
    in_plus_hidden: int,
    gates: int,
    steps: int,
    hidden: int,
    devices: list | None = None,
) -> tuple[dict[str, Callable[[], jax.Array]], tuple[jax.Array, ...]]:
    """The three per-step GEMM shapes of one update's LSTM, each alone in a ``steps``-long
    ``lax.scan`` (seeds batched as in the vmapped update) -> ({stage: jitted fn of no
    arguments}, their inputs (W (S, K, N), [x,h]₀ (S, E, K), dgates₀ (S, E, N))). The
    inputs are data, so the backward pass forms only dh, from W's last ``hidden`` rows
    (``agents.lstm_actor_critic.concat_matmul``).
    Each step's operands differ (a step-dependent shift) and every result is used, so XLA
    can neither hoist nor drop a GEMM; the shift and accumulation add O(E·(K+N)) work.
    The seed axis is sharded across ``devices`` (default: one device), as training shards it."""
    s, e, k, n = num_seeds, num_envs, in_plus_hidden, gates
    keys = jax.random.split(jax.random.key(0), 3)
    w = jax.random.normal(keys[0], (s, k, n), jnp.float32) * 0.05
    x0 = jax.random.normal(keys[1], (s, e, k), jnp.float32)
    g0 = jax.random.normal(keys[2], (s, e, n), jnp.float32)
    w, x0, g0 = shard_seeds((w, x0, g0), devices)
    ts = jnp.arange(steps, dtype=jnp.float32) * 1e-3

    @jax.jit
    def forward(w, x0, ts):  # gates_t = [x_t, h_{t-1}] @ W, h_t taken from gates_t
        def body(xh, t):
            gates = jnp.einsum("sek,skn->sen", xh + t, w)
            return gates[..., :k], None

        return jax.lax.scan(body, x0, ts)[0]

    @jax.jit
    def backward_hidden(w, g0, ts):  # dh_t = dgates_t @ W_h^T
        w_h = w[:, k - hidden :]

        def body(acc, t):
            return acc + jnp.einsum("sen,skn->sek", g0 + t, w_h), None

        return jax.lax.scan(body, jnp.zeros((s, e, hidden), jnp.float32), ts)[0]

    @jax.jit
    def backward_weight(x0, g0, ts):  # dW += [x,h]_t^T @ dgates_t
        def body(acc, t):
            return acc + jnp.einsum("sek,sen->skn", x0 + t, g0 - t), None

        return jax.lax.scan(body, jnp.zeros((s, k, n), jnp.float32), ts)[0]

    calls = (lambda: forward(w, x0, ts), lambda: backward_hidden(w, g0, ts), lambda: backward_weight(x0, g0, ts))
    return dict(zip(GEMM_STAGES, calls)), (w, x0, g0)


def bench_gemm_cap(rows: list, num_envs: int, num_seeds: int, min_time: float = 0.5, steps: int = 100) -> float:
    """The throughput cap the default update's GEMM shapes alone allow: per step the rollout's
    forward GEMM, its recomputation in the backward pass (``nothing_saveable``), dh and
    dW, each timed alone at num_envs × num_seeds -> trials/s if the update did nothing else."""
    config = TrainConfig()
    env, params = make("two_step", variant=default_variant())
    k, n = lstm_input_size(config, env, params) + config.hidden_size, 4 * config.hidden_size
    layout = SeedLayout.for_run(num_seeds)
    devices, padded = layout.devices, layout.padded  # pad seeds included, as training runs them
    fns, _ = gemm_step_fns(padded, num_envs, k, n, steps, config.hidden_size, devices)
    times = time_interleaved(fns, min_time=min_time)
    batch = num_envs * num_seeds
    extra = {"num_seeds": num_seeds, "num_envs": num_envs, "devices": len(devices)}

    def add(unit: str, value: float, stage: str) -> None:
        rows.append(row("gemm_cap", "two_step", params.variant, unit, batch, value, False, stage=stage, **extra))

    flop = 2 * batch * k * n  # per step, each of the three
    for stage, sec in times.items():
        add("s_per_step", sec / steps, stage)
        add("flop_per_s", flop * steps / sec, stage)
    forward, d_hidden, d_weight = (times[s] / steps for s in GEMM_STAGES)
    step_s = 2 * forward + d_hidden + d_weight
    cap = batch * params.trials_per_episode / env.num_steps(params) / step_s
    add("s_per_step", step_s, "cap: 2 x forward + dh + dW")
    add("trials_per_s", cap, "cap: 2 x forward + dh + dW")
    return cap


# --------------------------------------------------------------------------- throughput sweeps


def bench_train_sweep(
    rows: list, num_envs_list: tuple[int, ...], seeds_list: tuple[int, ...], quick: bool, chunk: int | None = None
) -> list[dict[str, Any]]:
    """Default two-step training at num_envs ∈ num_envs_list (default seeds) and at
    num_seeds ∈ seeds_list (default num_envs); each config measured once."""
    default = TrainConfig()
    configs = [(e, default.num_seeds) for e in num_envs_list] + [(default.num_envs, s) for s in seeds_list]
    out = []
    for num_envs, num_seeds in dict.fromkeys(configs):
        res = train_throughput(default_variant(), num_envs, num_seeds, rows, quick, chunk=chunk)
        out.append({"num_envs": num_envs, "num_seeds": num_seeds, **res})
    return out


def default_variant() -> str:
    return make("two_step")[1].variant


# --------------------------------------------------------------------------- time to science


def make_evaluator(rollout, num_episodes: int, greedy: bool):
    """Jitted once: evaluation rollouts of every seed (the computation of
    ``metarl_jax.evaluation.evaluate_network``: eval keys fold_in(fold_in(seed_key, 1), e)),
    returning the step arrays the two-step analysis needs, (S, E, T)."""

    @jax.jit
    def run(params, keys):
        def one(p, k):
            traj = rollout(p, eval_episode_keys(k, num_episodes), greedy)
            arrays = {"action": traj.actions, "reward": traj.rewards, **traj.info}
            return {k: jnp.swapaxes(v, 0, 1) for k, v in arrays.items()}

        return jax.vmap(one)(params, keys)

    return run


def bench_time_to_science(
    rows: list,
    config: TrainConfig | None = None,
    eval_every: int = 1,
    env_overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train the default config and evaluate every ``eval_every`` chunks (``eval_episodes``
    per seed, frozen weights, sampled actions as the pipeline does) until every seed shows the
    model-based signature or the default budget ends. Per seed: episodes trained and training
    seconds (compile and evaluation excluded) at its first evaluation with the signature."""
    config = config or TrainConfig()
    env, params = make("two_step", **(env_overrides or {}))
    fns = make_train(config, env, params)
    layout = SeedLayout.for_run(config.num_seeds)
    devices = layout.devices
    state = layout.for_training(fns.init(seed_keys(config)))  # as the experiment scripts lay it out
    t_start = time.perf_counter()
    chunk = jnp.int32(config.chunk_size)
    update_chunk, compile_s = compile_timed(fns.update_chunk, state, chunk)
    rollout = make_rollout(env, params, fns.network, config.time_input)
    evaluate = make_evaluator(rollout, config.eval_episodes, config.eval_policy == "greedy")
    evaluate, eval_compile_s = compile_timed(evaluate, state.params, state.seed_key)
    seeds = list(range(config.seed, config.seed + config.num_seeds))
    first: dict[int, tuple[int, float]] = {}
    done, train_s, eval_s, chunks = 0, 0.0, 0.0, 0
    while done < config.num_updates and len(first) < len(seeds):
        active = min(config.chunk_size, config.num_updates - done)
        t0 = time.perf_counter()
        state, metrics = update_chunk(state, jnp.int32(active))
        jax.block_until_ready(metrics)
        train_s += time.perf_counter() - t0
        done += active
        chunks += 1
        if chunks % eval_every and done < config.num_updates:
            continue
        t0 = time.perf_counter()
        arrays = jax.tree.map(np.asarray, evaluate(state.params, state.seed_key))
        for i, seed in enumerate(seeds):
            if seed in first:
                continue
            result = analyse_seed(trial_arrays({k: v[i] for k, v in arrays.items()}))
            if result["model_based_signature"]:
                first[seed] = (done * config.num_envs, train_s)
        eval_s += time.perf_counter() - t0
    wall = time.perf_counter() - t_start
    variant, batch = params.variant, config.num_envs
    for seed in seeds:
        episodes, secs = first.get(seed, (None, None))
        extra = {"seed": seed, "num_seeds": config.num_seeds, "num_envs": config.num_envs, "devices": len(devices)}
        rows.append(
            row("time_to_science", "two_step", variant, "episodes_to_signature", batch, episodes, False, **extra)
        )
        rows.append(row("time_to_science", "two_step", variant, "train_s_to_signature", batch, secs, False, **extra))
    extra = {"num_seeds": config.num_seeds, "num_envs": config.num_envs, "seed": "all", "devices": len(devices)}
    fraction = len(first) / len(seeds)
    rows.append(row("time_to_science", "two_step", variant, "fraction_with_signature", batch, fraction, False, **extra))
    rows.append(row("time_to_science", "two_step", variant, "wall_s", batch, wall, True, **extra))
    rows.append(row("time_to_science", "two_step", variant, "eval_s", batch, eval_s, False, **extra))
    rows.append(compile_row("time_to_science", "two_step", variant, batch, compile_s + eval_compile_s, **extra))
    return {
        "first": first,
        "seeds": seeds,
        "updates": done,
        "train_s": train_s,
        "eval_s": eval_s,
        "compile_s": compile_s + eval_compile_s,
        "wall_s": wall,
    }


# --------------------------------------------------------------------------- profile


def bench_profile(rows: list, config: TrainConfig | None = None, min_time: float = 1.0) -> dict[str, float]:
    """Seconds per update of the default config, split by what each stage adds:
    env (env-only rollout of the same episodes with random actions), LSTM forward (rollout
    with the network − env), backward (loss gradient − rollout), optimizer and the rest
    (full update − gradient). Each stage jitted and vmapped over seeds on its own; the stages
    are timed in interleaved rounds and each keeps its fastest round."""
    config = config or TrainConfig()
    env, params = make("two_step")
    fns = make_train(config, env, params)
    state = fns.init(seed_keys(config))
    num_envs = config.num_envs
    keys = jax.vmap(lambda k: jax.random.fold_in(jax.random.fold_in(k, TRAIN_BRANCH), 0))(state.seed_key)
    gamma = jnp.float32(config.gamma)

    def loss(p, key):
        traj = fns.rollout(p, jax.random.split(key, num_envs))
        returns = discounted_returns(traj.rewards, step_discounts(traj.info["trial_end"], traj.terminated, gamma))
        return a2c_loss(traj.logits, traj.values, traj.actions, returns, config.value_coef, config.entropy_coef).loss

    forward = jax.jit(jax.vmap(lambda p, k: fns.rollout(p, jax.random.split(k, num_envs)).rewards.sum()))
    grad = jax.jit(jax.vmap(jax.grad(loss)))
    env_fn = env_rollout_fn(env, params, num_envs * config.num_seeds, rounds=1)
    env_c, _ = compile_timed(env_fn, jax.random.key(0))
    fwd_c, _ = compile_timed(forward, state.params, keys)
    grad_c, _ = compile_timed(grad, state.params, keys)
    chunk = jnp.int32(config.chunk_size)
    upd_c, _ = compile_timed(fns.update_chunk, state, chunk)
    holder = [jax.tree.map(jnp.copy, state)]  # update_chunk donates its state; the others keep theirs

    def update_chunk():
        holder[0], metrics = upd_c(holder[0], chunk)
        return metrics

    stages = {
        "env": (lambda: env_c(jax.random.key(1)), 1),
        "rollout": (lambda: fwd_c(state.params, keys), 1),
        "gradient": (lambda: grad_c(state.params, keys), 1),
        "update": (update_chunk, config.chunk_size),
    }
    # Interleaved rounds, the fastest of each stage: robust to other load on the machine.
    best = time_interleaved({name: fn for name, (fn, _) in stages.items()}, min_time=4 * min_time)
    times = {name: best[name] / per_call for name, (_, per_call) in stages.items()}
    parts = {
        "env": times["env"],
        "lstm_forward_and_sampling": max(0.0, times["rollout"] - times["env"]),
        "backward": max(0.0, times["gradient"] - times["rollout"]),
        "optimizer_and_rest": max(0.0, times["update"] - times["gradient"]),
    }
    measured = {
        "measured: env-only rollout": times["env"],
        "measured: rollout with the LSTM": times["rollout"],
        "measured: loss gradient": times["gradient"],
        "measured: full update": times["update"],
    }
    batch = num_envs * config.num_seeds
    extra = {"num_seeds": config.num_seeds, "num_envs": num_envs}
    for stage, sec in {**parts, **measured}.items():
        rows.append(
            row("train_profile", "two_step", params.variant, "s_per_update", batch, sec, False, stage=stage, **extra)
        )
    return {**parts, **measured, "total": times["update"]}


def fraction_of_peak(trials_per_s: float, config: TrainConfig, peak_flops: float) -> tuple[float, float]:
    """(FLOP/s reached, fraction of the matmul peak) of training at trials_per_s."""
    env, params = make("two_step")
    steps_per_trial = env.steps_per_trial(params)
    flops = trials_per_s * steps_per_trial * flops_per_agent_step(config, env, params)
    return flops, flops / peak_flops


def default_config(**changes: Any) -> TrainConfig:
    return dataclasses.replace(TrainConfig(), **changes)
