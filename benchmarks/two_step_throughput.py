"""Two-step throughput, all in one run: env-only steps/s vs batch, training trials/s, and
the naive Python loop (one agent step per Python call, one update per episode, as the
TF1 reimplementation ran). Prints a table with ratios and appends rows to results/.

python benchmarks/two_step_throughput.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BATCHES,
    add_cpu_devices_flag,
    append_rows,
    compile_row,
    compile_timed,
    configure_devices,
    row,
    set_mode,
    time_call,
)
from env_only import bench_env as bench_env_generic  # noqa: E402

from metarl_jax.agents import agent_inputs  # noqa: E402
from metarl_jax.registry import make  # noqa: E402
from metarl_jax.training.a2c import a2c_loss, discounted_returns, make_optimizer, make_train, step_discounts  # noqa: E402
from metarl_jax.training.config import TrainConfig  # noqa: E402
from metarl_jax.training.loop import seed_keys  # noqa: E402
from metarl_jax.training.seed_layout import SeedLayout  # noqa: E402


def bench_env(variant: str, batches, rows, quick: bool):
    """Env-only steps/s and trials/s of the two-step env at each batch (see env_only.py)."""
    return bench_env_generic("two_step", batches, rows, quick, variant=variant)


def train_throughput(variant: str, num_envs: int, num_seeds: int, rows, quick: bool, chunk: int | None = None) -> dict:
    """Training speed of the default config (TrainConfig defaults) at num_envs × num_seeds, after
    compilation: trials/s, agent steps/s, seconds per update and compile time; rows appended."""
    env, params = make("two_step", variant=variant)
    # Updates per timed call: a few, fewer for big batches so one call stays a few seconds.
    chunk = chunk or (2 if quick else max(1, min(5, 20480 // (num_envs * num_seeds))))
    cfg = TrainConfig(num_seeds=num_seeds, num_envs=num_envs, chunk_size=chunk, total_episodes=num_envs * chunk)
    fns = make_train(cfg, env, params)
    layout = SeedLayout.for_run(num_seeds)  # seeds sharded as the experiment scripts shard them
    devices = layout.devices
    state = layout.for_training(fns.init(seed_keys(cfg)))  # padded where the seeds split unevenly
    compiled, compile_s = compile_timed(fns.update_chunk, state, jnp.int32(chunk))
    holder = [state]

    def call():
        holder[0], metrics = compiled(holder[0], jnp.int32(chunk))
        return metrics

    sec = time_call(call, min_time=1.0 if quick else 3.0)
    episodes = chunk * num_envs * num_seeds
    trials_s, steps_s = episodes * params.trials_per_episode / sec, episodes * env.num_steps(params) / sec
    sec_per_update = sec / chunk
    default_updates = -(-TrainConfig().total_episodes // num_envs)
    wall_s = compile_s + default_updates * sec_per_update
    batch = num_envs * num_seeds
    extra = {"num_seeds": num_seeds, "num_envs": num_envs, "devices": len(devices)}
    rows.append(row("train", "two_step", variant, "trials_per_s", batch, trials_s, False, **extra))
    rows.append(row("train", "two_step", variant, "agent_steps_per_s", batch, steps_s, False, **extra))
    rows.append(row("train", "two_step", variant, "s_per_update", batch, sec_per_update, False, **extra))
    # Projected wall time of the default per-seed budget at this parallelism, compile included.
    rows.append(row("train", "two_step", variant, "wall_s_projected", batch, wall_s, True, **extra))
    rows.append(compile_row("train", "two_step", variant, batch, compile_s, **extra))
    return {
        "trials_per_s": trials_s,
        "agent_steps_per_s": steps_s,
        "s_per_update": sec_per_update,
        "compile_s": compile_s,
        "wall_s_projected": wall_s,
    }


def bench_training(variant: str, num_envs_list, rows, num_seeds: int, quick: bool):
    """{num_envs: training trials/s} with num_seeds seeds vmapped (see train_throughput)."""
    return {e: train_throughput(variant, e, num_seeds, rows, quick)["trials_per_s"] for e in num_envs_list}


def bench_naive(variant: str, rows, episodes: int):
    """One jitted agent step per Python call, env stepped from Python, one update per episode."""
    env, params = make("two_step", variant=variant)
    cfg = TrainConfig(num_seeds=1, num_envs=1)
    fns = make_train(cfg, env, params)
    net = fns.network
    optimizer = make_optimizer(cfg)
    state = fns.init(seed_keys(cfg))
    net_params = jax.tree.map(lambda x: x[0], state.params)
    opt_state = optimizer.init(net_params)

    @jax.jit
    def act(p, lstm, x, key):
        lstm, (logits, _) = net.apply(p, lstm, x)
        return lstm, jax.random.categorical(key, logits).astype(jnp.int32)

    env_step = jax.jit(env.step)
    env_reset = jax.jit(env.reset)

    @jax.jit
    def update(p, opt_state, xs, actions, rewards, trial_end, terminated):
        def loss(p):
            _, (logits, values) = jax.lax.scan(lambda c, x: net.apply(p, c, x), net.initial_state(), xs)
            returns = discounted_returns(rewards, step_discounts(trial_end, terminated, jnp.float32(cfg.gamma)))
            return a2c_loss(logits, values, actions, returns, cfg.value_coef, cfg.entropy_coef).loss

        g = jax.grad(loss)(p)
        upd, opt_state = optimizer.update(g, opt_state, p)
        return jax.tree.map(lambda a, b: a + b, p, upd), opt_state

    def run_episode(key, p, opt_state):
        k_reset, key = jax.random.split(key)
        obs, s = env_reset(k_reset, params)
        lstm, prev_a, prev_r = net.initial_state(), jnp.int32(-1), jnp.float32(0.0)
        xs, acts, rews, ends, terms = [], [], [], [], []
        for _ in range(env.num_steps(params)):
            key, k_a, k_e = jax.random.split(key, 3)
            x = agent_inputs(obs, prev_a, prev_r, env.num_actions)
            lstm, a = act(p, lstm, x, k_a)
            obs, s, r, term, _, info = env_step(k_e, s, a, params)
            xs.append(x), acts.append(a), rews.append(r), ends.append(info["trial_end"]), terms.append(term)
            prev_a, prev_r = a, r
        return update(p, opt_state, jnp.stack(xs), jnp.stack(acts), jnp.stack(rews), jnp.stack(ends), jnp.stack(terms))

    net_params, opt_state = run_episode(jax.random.key(0), net_params, opt_state)  # compile
    t0 = time.perf_counter()
    for e in range(episodes):
        net_params, opt_state = run_episode(jax.random.key(e + 1), net_params, opt_state)
    jax.block_until_ready(net_params)
    sec = (time.perf_counter() - t0) / episodes
    trials_s = params.trials_per_episode / sec
    rows.append(row("naive_loop", "two_step", variant, "trials_per_s", 1, trials_s, False))
    return trials_s


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer batches and shorter timings (~1 min)")
    parser.add_argument("--variant", default="trial", choices=["trial", "two_stage"])
    parser.add_argument("--no-save", action="store_true", help="print only; do not append to results/")
    add_cpu_devices_flag(parser)
    args = parser.parse_args(argv)
    configure_devices(parser, args.cpu_devices)
    set_mode("quick" if args.quick else "full")
    rows: list = []
    batches = (1, 256, 4096) if args.quick else BATCHES
    print(f"devices: {jax.devices()}  jax {jax.__version__}  variant={args.variant}")
    env_out = bench_env(args.variant, batches, rows, args.quick)
    print("\nenv only (random actions, after compilation)")
    print(f"{'batch':>8} {'env steps/s':>14} {'trials/s':>14}")
    for b, (s, t) in env_out.items():
        print(f"{b:>8} {s:>14.3e} {t:>14.3e}")
    seeds = 8
    train_out = bench_training(args.variant, (16, 64) if args.quick else (16, 64, 256), rows, seeds, args.quick)
    naive = bench_naive(args.variant, rows, episodes=2 if args.quick else 5)
    print(f"\ntraining ({seeds} seeds vmapped, after compilation) vs naive Python loop ({naive:.3g} trials/s)")
    print(f"{'envs/seed':>10} {'trials/s':>14} {'x naive':>10}")
    for e, t in train_out.items():
        print(f"{e:>10} {t:>14.3e} {t / naive:>10.1f}")
    best_env = max(t for _, t in env_out.values())
    best_train = max(train_out.values())
    print(f"\nenv-only best / naive loop: {best_env / naive:.0f}x; training best / naive: {best_train / naive:.0f}x")
    if not args.no_save:
        print(f"rows appended to {append_rows(rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
