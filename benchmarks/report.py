"""RESULTS.md tables and scaling.png, generated from benchmarks/results/*.json.

For each device, every bench shows the rows of its latest full run (else its latest
quick run, marked). ``python benchmarks/report.py`` regenerates both files without
running anything.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable

HERE = Path(__file__).resolve().parent
MODE_RANK = {"full": 2, "quick": 1, "smoke": 0}
CONFIG_KEYS = ("api", "stage", "num_seeds", "num_envs", "devices", "seed")
SKIP_UNITS = ("version",)

BENCHES: dict[str, tuple[str, str]] = {
    "env_only": (
        "Env-only throughput",
        "Through the shipped `reset`/`step` API: `batch` episodes at once (vmap), whole episodes in one jitted "
        "`lax.scan`, a key per episode and step, uniformly random actions, each episode reset at its start "
        "(no auto-reset). One trial is 1 step (two-step `trial`, bandit, harlow) or 2 steps (two-step `two_stage`, "
        "harlow_fixation). Every reward and observation is folded into checksums compared with analytic "
        "(two-step, bandit) or Monte-Carlo (harlow) means. Rates after compilation; compile time on its own.",
    ),
    "env_python_loop": (
        "Env stepped from Python",
        "Batch 1, one jitted `env.step` per Python call: how a gym user steps an env (compare NeuroGym's single env).",
    ),
    "peer_neurogym": (
        "Peer: NeuroGym DawTwoStep-v0",
        "NeuroGym through its gymnasium API (`gym.make`), a single env and gymnasium's vector envs (NeuroGym has "
        "none of its own), in NeuroGym's own venv. Its trial takes 2 steps: the first-stage choice (actions 1, 2; "
        "fixating aborts the trial, −0.1) pays the second-stage reward at once, then a fixation step. `valid`: a "
        "random choice then fixation (every trial completes in 2 steps); `random`: uniform over 3 actions "
        "(aborted trials not counted). trials/s = completed trials per second.",
    ),
    "peer_gymnax": (
        "Peer: gymnax BernoulliBandit-misc vs our bandit",
        "Equal batch, both through gymnax's `step` with its auto-reset (ours via `metarl_jax.compat.gymnax`), "
        "per-env keys split every step, random actions, one jitted `lax.scan`; our bandit with gymnax's task "
        "(dependent arms p, 1 − p, p ∈ {0.1, 0.9}); 100-step episodes; 1 step = 1 trial. The two are "
        "timed in interleaved rounds and each keeps its fastest call (at batch 1 one call is short and "
        "the first calls of a process run up to 2× slower, which alone decided earlier runs' ratio).",
    ),
    "naive_loop": (
        "Naive loop",
        "The default agent stepped one agent step per Python call (jitted), env stepped from Python, one "
        "update per episode: how the TF1 reimplementation ran.",
    ),
    "train": (
        "Training throughput (default two-step config)",
        "`TrainConfig()` defaults (LSTM-48, RMSProp, `trial` variant), varying episodes per update per seed "
        "(`num_envs`) and vmapped seeds; `batch` = num_envs × num_seeds episodes in parallel; `devices` = "
        "the XLA devices the seeds are sharded over (on a CPU, one per core as the experiment scripts split "
        "it, as many as the seeds use, padded where they split unevenly). Rates after "
        "compilation; `wall_s_projected` = compile + the default budget (20480 episodes per seed) at the "
        "measured rate. `fraction_of_matmul_peak` = trials/s × FLOPs per agent step (6 × multiply-adds of "
        "the LSTM and heads: forward + backward) ÷ the float32 matmul FLOP/s measured in the same run. "
        "`fraction_of_gemm_cap` = trials/s ÷ the GEMM-shape cap of the same config (its own table below).",
    ),
    "time_to_science": (
        "Time to science (default two-step config)",
        "Training of the default config, evaluated after every chunk (frozen weights, sampled actions, "
        "`eval_episodes` per seed) until each seed shows the model-based signature (stay_CR − stay_RR ≥ 0.1 "
        "and stay_RU − stay_CU ≥ 0.1). Per seed: episodes and training seconds (compile and evaluation "
        "excluded) at the first evaluation with the signature; `wall_s` includes compile and evaluation.",
    ),
    "train_profile": (
        "Profile of one update (default config)",
        "Seconds per update split by what each stage adds: env (env-only rollout of the same episodes), LSTM "
        "forward and action sampling (rollout − env), backward (gradient − rollout), optimizer and the rest "
        "(full update − gradient); on one device; each stage jitted on its own, after compilation, timed in "
        "interleaved rounds (fastest kept). The `measured:` rows are the stages themselves; a stage compiled alone can "
        "be slower than inside the fused update (a standalone gradient vs the scanned update), so a "
        "difference below 0 shows as 0.",
    ),
    "matmul_peak": (
        "Matmul peak",
        "float32 square matmul, jitted, after compilation: this run's reference FLOP/s.",
    ),
    "gemm_cap": (
        "GEMM-shape cap of training (default config)",
        "The LSTM's per-step GEMMs at each training config's shapes (seeds batched and sharded as in the update: "
        "[x,h] is episodes × (inputs + hidden), W is (inputs + hidden) × 4·hidden), each alone in a 100-step "
        "`lax.scan` whose steps cannot be hoisted or dropped, timed in interleaved rounds (fastest kept). An "
        "update runs per step the rollout's forward GEMM, its recomputation in the backward pass (the step is "
        "rematerialised), dh (the inputs are data, so their gradient is never formed; rows whose stage reads "
        "d[x,h] come from runs before the update dropped it) and dW; the cap is the trials/s an update would "
        "reach if it did nothing "
        "else: no elementwise LSTM work, env, heads, sampling or optimizer. Small GEMMs run far below the "
        "square-matmul peak, so this, not the peak, bounds what the update's structure allows.",
    ),
    "memory": (
        "Memory per episode",
        "Env state and observation bytes from shapes (`jax.eval_shape`); working set = bytes XLA's buffer "
        "assignment reserves per episode for reset + one step (keys and actions included; slope between "
        "batches 4096 and 65536), from which the largest batch in 24 GiB is derived; that plan compiled (not "
        "run) at the derived batch; one real run below it in a fresh process: how much its RSS grew "
        "during the run (peak − RSS just before; compare XLA's plan at that batch).",
    ),
}


def load_rows(results_dir: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(results_dir.glob("*.json")):
        rows.extend(json.loads(path.read_text()))
    return rows


def latest_runs(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """{device: rows}, keeping per bench the rows of its best run: latest full, else latest quick."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[(r["device"], r["bench"])].append(r)
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (device, _), rs in by.items():
        runs = {(MODE_RANK.get(r.get("mode", "full"), 0), r.get("run_id") or "") for r in rs}
        best = max(runs)
        out[device].extend(r for r in rs if (MODE_RANK.get(r.get("mode", "full"), 0), r.get("run_id") or "") == best)
    return dict(out)


def device_title(device: str, drows: list[dict[str, Any]]) -> str:
    """The device's names as its rows give them ('AMD EPYC f25m17 avx512, 2 cores'), else its slug."""
    return ", ".join(sorted({r.get("device_name", device) for r in drows}))


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "—"
        if unit.startswith("fraction"):
            return f"{value:.2f}" if unit == "fraction_with_signature" else f"{value:.1%}"
        if "bytes" in unit and abs(value) >= 1024**2:
            return f"{value / 1024**3:.2f} GiB" if abs(value) >= 1024**3 else f"{value / 1024**2:.1f} MiB"
        if isinstance(value, int) or float(value).is_integer() and abs(value) < 1e7:
            return f"{int(value):,}"
        return f"{value:.3g}"
    return str(value)


def is_timing(unit: str) -> bool:
    return unit.endswith("_per_s") or unit.endswith("_s") or "s_per_" in unit or unit.startswith("fraction_of")


def unit_header(unit: str, compile_included: bool) -> str:
    """The unit, and for timings whether compilation is included."""
    if unit == "compile_s":
        return "compile s"
    if not is_timing(unit):
        return unit
    return f"{unit} ({'compile incl.' if compile_included else 'after compile'})"


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown pivot: one line per (env, variant, batch, config), one column per unit."""
    rows = [r for r in rows if r["unit"] not in SKIP_UNITS]
    if not rows:
        return ""
    keys = [k for k in CONFIG_KEYS if any(k in r for r in rows)]
    columns: dict[tuple[str, bool], None] = {}
    lines: dict[tuple, dict[tuple[str, bool], Any]] = {}
    for r in rows:
        col = (r["unit"], bool(r["compile_included"]))
        columns.setdefault(col, None)
        ident = (r["env"], r["variant"], r["batch"], *(r.get(k, "") for k in keys))
        lines.setdefault(ident, {})[col] = r["value"]
    cols = sorted(columns, key=lambda c: (c[0] == "compile_s", list(columns).index(c)))
    header = ["env", "variant", "batch", *keys, *(unit_header(u, c) for u, c in cols)]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for ident, values in lines.items():
        cells = [str(ident[0]), str(ident[1]), fmt(ident[2]), *(fmt(v) for v in ident[3:])]
        cells += [fmt(values.get(c), c[0]) for c in cols]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def _value(rows, bench, unit, **match) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["bench"] == bench
        and r["unit"] == unit
        and all(r.get(k) == v for k, v in match.items())
        and r["value"] is not None
    ]


def _default_config(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the default training config (TrainConfig(): 8 seeds × 64 episodes)."""
    return [r for r in rows if r.get("num_seeds") == 8 and r.get("num_envs") == 64]


def headlines(rows: list[dict[str, Any]]) -> list[str]:
    """Side-by-side ratios from one device's rows (each measured in one run on this device)."""
    out = []
    ng = _value(rows, "peer_neurogym", "trials_per_s")
    ours = _value(rows, "env_only", "trials_per_s", env="two_step")
    if ng and ours:
        ng1 = [r for r in ng if r["variant"] == "single/valid"]
        ng_best = max(ng, key=lambda r: r["value"])
        for variant in sorted({r["variant"] for r in ours}):
            mine = [r for r in ours if r["variant"] == variant]
            b1 = [r for r in mine if r["batch"] == 1]
            best = max(mine, key=lambda r: r["value"])
            if b1 and ng1:
                a, b = b1[0]["value"], ng1[0]["value"]
                out.append(
                    f"two-step `{variant}` vs NeuroGym DawTwoStep-v0, batch 1 (single env): "
                    f"{a:.3g} vs {b:.3g} trials/s = **{a / b:.0f}×**"
                )
            out.append(
                f"two-step `{variant}` best batch ({best['batch']:,}) vs NeuroGym best ({ng_best['variant']}, "
                f"batch {ng_best['batch']}): {best['value']:.3g} vs {ng_best['value']:.3g} trials/s = "
                f"**{best['value'] / ng_best['value']:.0f}×**"
            )
    gx = _value(rows, "peer_gymnax", "trials_per_s")
    if gx:
        ratios = []
        for batch in sorted({r["batch"] for r in gx}):
            a = [r["value"] for r in gx if r["batch"] == batch and r["env"] == "bandit"]
            b = [r["value"] for r in gx if r["batch"] == batch and r["env"] != "bandit"]
            if a and b:
                ratios.append(f"{batch:,}: {a[0] / b[0]:.2f}×")
        out.append("our bandit vs gymnax BernoulliBandit-misc (auto-reset, equal batch): " + ", ".join(ratios))
    naive = _value(rows, "naive_loop", "trials_per_s")
    train = _value(rows, "train", "trials_per_s")
    if naive and train:
        default = _default_config(train)
        best = max(train, key=lambda r: r["value"])
        if default:
            out.append(
                f"default training (8 seeds × 64 episodes) vs the naive loop: {default[0]['value']:.3g} vs "
                f"{naive[0]['value']:.3g} trials/s = **{default[0]['value'] / naive[0]['value']:.0f}×**"
            )
        out.append(
            f"best training config ({best.get('num_seeds')} seeds × {best.get('num_envs')} episodes): "
            f"{best['value']:.3g} trials/s = {best['value'] / naive[0]['value']:.0f}× the naive loop"
        )
    peak = _value(rows, "train", "fraction_of_matmul_peak")
    if peak:
        best = max(peak, key=lambda r: r["value"])
        out.append(
            f"training reaches up to **{best['value']:.1%}** of this run's float32 matmul peak "
            f"({best.get('num_seeds')} seeds × {best.get('num_envs')} episodes)"
        )
    of_cap = _value(rows, "train", "fraction_of_gemm_cap")
    if of_cap:
        default = _default_config(of_cap)
        best = max(of_cap, key=lambda r: r["value"])
        text = "training reaches "
        if default:
            text += f"**{default[0]['value']:.0%}** of its GEMM-shape cap at the default config, "
        if not default or best is not default[0]:
            text += f"up to {best['value']:.0%} ({best.get('num_seeds')} seeds × {best.get('num_envs')} episodes)"
        out.append(text.rstrip(", "))
    tts = _value(rows, "time_to_science", "train_s_to_signature")
    frac = _value(rows, "time_to_science", "fraction_with_signature")
    if frac:
        eps = [r["value"] for r in _value(rows, "time_to_science", "episodes_to_signature")]
        secs = [r["value"] for r in tts]
        text = f"time to science: {frac[0]['value']:.0%} of {frac[0].get('num_seeds')} seeds show the signature"
        if eps:
            text += (
                f", after {min(eps):,}–{max(eps):,} episodes per seed, {min(secs):.1f}–{max(secs):.1f} s of training "
                "(compile excluded)"
            )
        out.append(text)
    return out


def render(rows: list[dict[str, Any]], title: bool = True) -> str:
    """Markdown: per device, headlines then a table per bench."""
    parts = []
    if title:
        parts += [
            "# Benchmark results",
            "",
            "Generated by `python benchmarks/run_all.py` (or `python benchmarks/report.py`) from "
            "`benchmarks/results/*.json`; do not edit by hand. Units are in every column header, with whether "
            "compilation is included; compile time has its own column (`compile s`: jit lowering + XLA "
            "compilation). Per device and bench, the latest full run is shown (else the latest quick run, marked).",
            "",
        ]
    for device, drows in sorted(latest_runs(rows).items()):
        parts.append(f"## {device_title(device, drows)} (`{device}`)")
        parts.append("")
        heads = headlines(drows)
        if heads:
            parts += [f"- {h}" for h in heads] + [""]
        for bench, (heading, note) in BENCHES.items():
            brows = [r for r in drows if r["bench"] == bench]
            if not brows:
                continue
            runs = sorted({(r.get("run_id"), r.get("mode", "full"), r["jax_version"]) for r in brows}, key=str)
            run_text = "; ".join(f"run {rid}, {mode}, jax {jv}" for rid, mode, jv in runs)
            parts += [f"### {heading}", "", note, "", f"_{run_text}_", "", table(brows), ""]
        other = sorted({r["bench"] for r in drows} - set(BENCHES))
        for bench in other:
            parts += [f"### {bench}", "", table([r for r in drows if r["bench"] == bench]), ""]
    return "\n".join(parts).rstrip() + "\n"


def scaling_series(drows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[int, float]]:
    """{(label, line style): {batch: trials/s}} of one device's rows: env-only (solid), peers
    (dashed: gymnax; dotted: NeuroGym, its best API per batch), training (dash-dot), naive loop."""
    series: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for r in drows:
        if r["unit"] != "trials_per_s" or r["value"] is None:
            continue
        if r["bench"] == "env_only":
            series[(f"{r['env']} ({r['variant']}) env only", "-")][r["batch"]] = r["value"]
        elif r["bench"] == "peer_gymnax":
            series[(f"{r['env']} auto-reset (gymnax API)", "--")][r["batch"]] = r["value"]
        elif r["bench"] == "peer_neurogym" and r["variant"].endswith("/valid"):
            points = series[("neurogym DawTwoStep-v0", ":")]
            points[r["batch"]] = max(r["value"], points.get(r["batch"], 0.0))
        elif r["bench"] == "train" and r.get("num_seeds") == 8:
            series[("two_step training, 8 seeds", "-.")][r["batch"]] = r["value"]
        elif r["bench"] == "naive_loop":
            series[("two_step naive training loop", "")][1] = r["value"]
    return series


def plot_scaling(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Log-log trials/s vs parallel episodes: a panel per device (shared axes), a line per
    env (and variant), one colour per line across panels, one legend below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = {}
    for device, drows in sorted(latest_runs(rows).items()):
        series = scaling_series(drows)
        if series:
            panels[device] = (device_title(device, drows), series)
    if not panels:
        return None
    labels = sorted({key for _, series in panels.values() for key in series})
    cmap = plt.get_cmap("tab20")
    colors = {key: cmap(i % cmap.N) for i, key in enumerate(labels)}
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 5.4), sharex=True, sharey=True, squeeze=False)
    handles = {}
    for ax, (device, (name, series)) in zip(axes[0], panels.items()):
        for key, points in sorted(series.items()):
            xs = sorted(points)
            (line,) = ax.plot(xs, [points[x] for x in xs], linestyle=key[1] or "none", marker="o", color=colors[key])
            handles[key] = line
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{name}\n({device})", fontsize=9)
        ax.set_xlabel("parallel episodes (batch)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("trials/s (after compilation)")
    fig.suptitle("Throughput vs parallel episodes")
    keys = [key for key in labels if key in handles]
    fig.legend([handles[k] for k in keys], [k[0] for k in keys], loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06 + 0.035 * math.ceil(len(keys) / 3), 1, 1))
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_reports(results_dir: Path, out_dir: Path) -> tuple[Path, Path | None]:
    rows = load_rows(results_dir)
    md = out_dir / "RESULTS.md"
    md.write_text(render(rows))
    png = plot_scaling(rows, out_dir / "scaling.png")
    return md, png


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    parser.add_argument("--out-dir", type=Path, default=HERE)
    args = parser.parse_args()
    print(*write_reports(args.results_dir, args.out_dir))
