"""Every benchmark on this machine in one run: env-only throughput of every registered env,
peers (NeuroGym, gymnax, the naive loop), training throughput and time-to-science of the
default two-step config (with the cap its GEMM shapes alone allow), a profile of one update,
the matmul peak, and memory per episode.
Prints this run's tables; a full run also appends its rows to results/<device>-<date>.json and
regenerates RESULTS.md and scaling.png (--quick and --smoke only with --save: those files are tracked).

python benchmarks/run_all.py                   # full run (tens of minutes on 2 CPU cores), saved
python benchmarks/run_all.py --quick           # a few compiles of each kind (about a minute or two), printed only
python benchmarks/run_all.py --quick --save    # ... and saved (RESULTS.md shows a quick run only without a full one)
python benchmarks/run_all.py --smoke           # tiny sizes, checks the code paths (tests), printed only
python benchmarks/run_all.py --neurogym-python /tmp/ngvenv/bin/python   # NeuroGym in its own venv
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import jax

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import env_only  # noqa: E402
import peers_bench  # noqa: E402
import report  # noqa: E402
import train_bench  # noqa: E402
from common import BATCHES, RESULTS, add_cpu_devices_flag, append_rows, configure_devices, device_name, row, set_mode  # noqa: E402
from two_step_throughput import bench_naive  # noqa: E402

from metarl_jax.registry import make, registered_envs  # noqa: E402
from metarl_jax.training.config import TrainConfig  # noqa: E402

SECTIONS = ("env", "peers", "naive", "matmul", "train", "science", "profile", "memory")


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes of one mode."""

    env_batches: dict[str, tuple[int, ...]]  # "name/variant" -> batches
    env_target_steps: int | None  # env steps per timed call (None: env_only's default)
    env_min_time: float | None
    python_loop_steps: int
    gymnax_batches: tuple[int, ...]
    naive_episodes: int
    matmul_n: int
    train_num_envs: tuple[int, ...]  # at the default num_seeds
    train_seeds: tuple[int, ...]  # at the default num_envs
    train_chunk: int | None
    science: TrainConfig | None
    science_env: dict
    profile: TrainConfig | None
    profile_min_time: float
    memory_envs: tuple[str, ...]
    memory_check_budget: int | None  # bytes; 0 = no real run


def plan_for(mode: str) -> Plan:
    envs = registered_envs()
    if mode == "full":
        full_batches = BATCHES + (2**20,)  # 2^20 skipped (reason printed) where memory does not allow
        batches = {f"{n}/default": full_batches for n in envs if n != "two_step"}
        batches.update({"two_step/trial": full_batches, "two_step/two_stage": full_batches})
        return Plan(
            env_batches=batches,
            env_target_steps=None,
            env_min_time=None,
            python_loop_steps=20000,
            gymnax_batches=BATCHES,
            naive_episodes=5,
            matmul_n=2048,
            train_num_envs=(16, 64, 256, 1024, 4096),
            train_seeds=(1, 8, 64, 256),
            train_chunk=None,
            science=TrainConfig(),
            science_env={},
            profile=TrainConfig(),
            profile_min_time=2.0,
            memory_envs=envs,
            memory_check_budget=None,
        )
    if mode == "quick":
        batches = {f"{n}/default": (4096,) for n in envs if n not in ("two_step", "bandit")}
        batches.update({"bandit/default": (1, 4096), "two_step/trial": (1, 4096)})
        return Plan(
            env_batches=batches,
            env_target_steps=None,
            env_min_time=None,
            python_loop_steps=2000,
            gymnax_batches=(4096,),
            naive_episodes=2,
            matmul_n=2048,
            train_num_envs=(64,),
            train_seeds=(1, 8),
            train_chunk=None,
            science=dataclasses.replace(TrainConfig(), num_seeds=2, eval_episodes=100),
            science_env={},
            profile=None,
            profile_min_time=0.5,
            memory_envs=("two_step",),
            memory_check_budget=256 * 1024**2,
        )
    tiny = {"num_seeds": 2, "num_envs": 8, "total_episodes": 16, "chunk_size": 1, "hidden_size": 8}
    return Plan(
        env_batches={"bandit/default": (16,), "two_step/trial": (16,)},  # harlow: tests/benchmarks
        env_target_steps=2**11,
        env_min_time=0.02,
        python_loop_steps=200,
        gymnax_batches=(16,),
        naive_episodes=1,
        matmul_n=256,
        train_num_envs=(8,),
        train_seeds=(),
        train_chunk=1,
        science=dataclasses.replace(TrainConfig(), eval_episodes=8, **tiny),
        science_env={"trials_per_episode": 10},
        profile=None,
        profile_min_time=0.02,
        memory_envs=("two_step",),
        memory_check_budget=0,
    )


def section(title: str):
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def done(t0: float) -> None:
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)


def run(args: argparse.Namespace) -> list[dict]:
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    set_mode(mode)
    plan = plan_for(mode)
    only = set(args.only.split(",")) if args.only else set(SECTIONS)
    quick = mode != "full"
    rows: list[dict] = []
    print(
        f"device: {device_name()} ({jax.devices()[0].platform}, {jax.device_count()} device(s): training shards "
        f"seeds over as many as they use), jax {jax.__version__}, mode {mode}"
    )

    if "env" in only:
        t0 = section("env-only throughput (env steps/s, trials/s after compilation)")
        for key, batches in plan.env_batches.items():
            name, variant = key.split("/")
            overrides = {} if variant == "default" else {"variant": variant}
            out = env_only.bench_env(
                name, batches, rows, quick, min_time=plan.env_min_time, target_steps=plan.env_target_steps, **overrides
            )
            for b, (s, t) in out.items():
                print(f"   {key:26s} batch {b:>8,}: {s:10.3e} env steps/s {t:10.3e} trials/s")
        rate = env_only.bench_python_loop("two_step", rows, plan.python_loop_steps)
        print(f"   two_step/trial, one jitted env.step per Python call: {rate:.3e} trials/s")
        done(t0)

    if "peers" in only:
        t0 = section("peers")
        data = peers_bench.bench_neurogym(args.neurogym_python, rows, mode)
        if data:
            for r in data["results"]:
                print(f"   neurogym {r['api']}/{r['policy']} batch {r['batch']}: {r['trials_per_s']:.3e} trials/s")
        gx = peers_bench.bench_gymnax(plan.gymnax_batches, rows, quick)
        if gx:
            for b, (ours, theirs) in gx.items():
                print(f"   bandit vs gymnax, batch {b:,}: {ours:.3e} vs {theirs:.3e} trials/s ({ours / theirs:.2f}x)")
        done(t0)

    naive = None
    if "naive" in only:
        t0 = section("naive loop (one jitted agent step per Python call, one update per episode)")
        naive = bench_naive(make("two_step")[1].variant, rows, episodes=plan.naive_episodes)
        print(f"   {naive:.3e} trials/s")
        done(t0)

    peak = None
    if "matmul" in only:
        t0 = section("matmul peak")
        peak = train_bench.bench_matmul(rows, plan.matmul_n)
        print(f"   float32 {plan.matmul_n}x{plan.matmul_n}: {peak / 1e9:.1f} GFLOP/s")
        done(t0)

    if "train" in only:
        t0 = section("training throughput, default two-step config")
        results = train_bench.bench_train_sweep(
            rows, plan.train_num_envs, plan.train_seeds, quick, chunk=plan.train_chunk
        )
        default = TrainConfig()
        env, params = make("two_step")
        for r in results:
            config = dataclasses.replace(default, num_envs=r["num_envs"], num_seeds=r["num_seeds"])
            line = (
                f"   {r['num_seeds']:>3} seed(s) x {r['num_envs']:>5} episodes: {r['trials_per_s']:.3e} trials/s, "
                f"{r['s_per_update'] * 1e3:.1f} ms/update, compile {r['compile_s']:.1f} s, "
                f"default budget ~{r['wall_s_projected']:.0f} s"
            )
            extra = {"num_seeds": r["num_seeds"], "num_envs": r["num_envs"]}
            batch = r["num_envs"] * r["num_seeds"]
            if peak:
                flops, frac = train_bench.fraction_of_peak(r["trials_per_s"], config, peak)
                rows.append(row("train", "two_step", params.variant, "flop_per_s", batch, flops, False, **extra))
                rows.append(
                    row("train", "two_step", params.variant, "fraction_of_matmul_peak", batch, frac, False, **extra)
                )
                line += f", {frac:.1%} of matmul peak"
            cap = train_bench.bench_gemm_cap(rows, r["num_envs"], r["num_seeds"], min_time=plan.profile_min_time)
            of_cap = r["trials_per_s"] / cap
            rows.append(row("train", "two_step", params.variant, "fraction_of_gemm_cap", batch, of_cap, False, **extra))
            line += f", {of_cap:.0%} of its GEMM-shape cap ({cap:.2e})"
            if naive:
                line += f", {r['trials_per_s'] / naive:.0f}x naive"
            print(line)
        fl = train_bench.flops_per_agent_step(default, env, params)
        rows.append(row("matmul_peak", "two_step", params.variant, "flop_per_agent_step", 1, fl, False))
        done(t0)

    if "science" in only and plan.science is not None:
        t0 = section("time to science (default config until each seed shows the model-based signature)")
        res = train_bench.bench_time_to_science(rows, plan.science, env_overrides=plan.science_env)
        for seed in res["seeds"]:
            got = res["first"].get(seed)
            text = f"{got[0]:,} episodes, {got[1]:.1f} s training" if got else "not within the budget"
            print(f"   seed {seed}: {text}")
        print(
            f"   compile {res['compile_s']:.1f} s, training {res['train_s']:.1f} s, evaluation {res['eval_s']:.1f} s, "
            f"wall {res['wall_s']:.1f} s"
        )
        done(t0)

    if "profile" in only:
        t0 = section("profile of one update (default config)")
        if plan.profile is None:
            print(f"   skipped in --{mode} (4 more compiles); run without --{mode}")
        else:
            parts = train_bench.bench_profile(rows, plan.profile, plan.profile_min_time)
            total = parts["total"]
            for stage, sec in parts.items():
                print(f"   {stage:34s} {sec * 1e3:8.2f} ms/update ({sec / total:.0%})")
        done(t0)

    if "memory" in only:
        t0 = section("memory per episode")
        for name in registered_envs():
            env, params = make(name)
            state_b, obs_b = env_only.episode_bytes(env, params)
            if name not in plan.memory_envs:
                rows.append(
                    row("memory", name, env_only.variant_of(params), "env_state_bytes_per_episode", 1, state_b, False)
                )
                rows.append(row("memory", name, env_only.variant_of(params), "obs_bytes_per_episode", 1, obs_b, False))
                print(f"   {name}: state {state_b} B, obs {obs_b} B per episode")
                continue
            m = env_only.bench_memory(
                name, rows, run_check=plan.memory_check_budget != 0, check_budget=plan.memory_check_budget
            )
            text = f"   {name}: state {state_b} B, obs {obs_b} B per episode"
            if "working_set_bytes" in m:
                text += f"; working set {m['working_set_bytes']:.0f} B -> {m['max_batch_24gib']:,} episodes in 24 GiB"
            if "checked_batch" in m:
                grown = m["checked_rss_bytes"] - m["baseline_rss_bytes"]
                text += (
                    f"; ran {m['checked_batch']:,}: RSS grew {grown / 2**20:.0f} MiB "
                    f"(XLA planned {m['checked_planned'] / 2**20:.0f} MiB)"
                )
            print(text)
        done(t0)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, a minute or two")
    size.add_argument("--smoke", action="store_true", help="tiny sizes: checks every code path (tests)")
    parser.add_argument(
        "--save",
        action=argparse.BooleanOptionalAction,
        help="append the rows to --results-dir and rewrite RESULTS.md and scaling.png in --out-dir "
        "(default: only for a full run; --quick and --smoke print only)",
    )
    parser.add_argument("--neurogym-python", help="Python of a venv with neurogym (default: $NEUROGYM_PYTHON)")
    parser.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)}")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where rows are appended")
    parser.add_argument("--out-dir", type=Path, default=HERE, help="where RESULTS.md and scaling.png go")
    add_cpu_devices_flag(parser)
    args = parser.parse_args(argv)
    if args.save is None:  # a quick or smoke run never rewrites the tracked results by default
        args.save = not (args.quick or args.smoke)
    if args.only and not set(args.only.split(",")) <= set(SECTIONS):
        parser.error(f"--only={args.only}: choose from {','.join(SECTIONS)}")
    if args.save:  # before the run, not after it: a bad directory costs seconds, not the run
        for flag, folder in (("--results-dir", args.results_dir), ("--out-dir", args.out_dir)):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                parser.error(f"{flag}={folder}: {err.strerror or err}")
    configure_devices(parser, args.cpu_devices)
    t0 = time.perf_counter()
    rows = run(args)
    print("\n" + report.render(rows, title=False))
    if args.save:
        path = append_rows(rows, args.results_dir)
        md, png = report.write_reports(args.results_dir, args.out_dir)
        print(f"rows appended to {path}; wrote {md}" + (f" and {png}" if png else ""))
    else:
        print("nothing saved: --save appends the rows and rewrites RESULTS.md and scaling.png")
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
