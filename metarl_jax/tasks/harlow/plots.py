"""Harlow figures: accuracy per trial through training, the learning curve, a pixel episode's frames.

Per-trial accuracy on held-out objects at points through training (Wang et al. 2018, Fig. 6c;
Harlow 1949) and the training learning curve; for the pixel task also the first frames of one
evaluation episode, re-rendered from eval.npz's actions. Reads analysis.json, metrics.jsonl,
config.json and eval.npz; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax.core.keys import eval_episode_keys, split_episode_key
from metarl_jax.core.stats import sem
from metarl_jax.figures import SEM_LABEL, draw, figures_of_run, legend_right, plt, read_run, save_figure, training_curve
from metarl_jax.tasks.harlow.pixels import HarlowPixels, HarlowPixelsParams

# Harlow (1949): monkeys that had learnt the learning set (problems 257-312) chose correctly on
# about 97% of the trials after the first of each problem.
MONKEYS_PERCENT = 97.0
MONKEYS_LABEL = "monkeys after learning, ≈97% (Harlow 1949)"


def accuracy_figure(path: Path, analysis: dict[str, Any], metrics: list[dict[str, Any]], total_updates: int) -> None:
    """% correct at trial 1..T of a problem: a line per point in training (colour = how far),
    the final evaluation in black (error bars = SEM over seeds), the side-only control and the
    ideal observer in grey, the monkeys' ≈97% on trials 2..T (Harlow 1949) in crimson; the
    legend to the right of the axes."""
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    progress = [m for m in metrics if m.get("progress_eval")]
    cmap = plt.get_cmap("viridis")
    for i, row in enumerate(progress):
        per_seed = np.array(row["progress_eval"]["accuracy_by_trial"], dtype=float)  # (S, T)
        trials = np.arange(1, per_seed.shape[1] + 1)
        frac = row["updates"] / max(total_updates, 1)
        ax.plot(trials, 100 * per_seed.mean(0), "o-", color=cmap(0.15 + 0.7 * i / max(len(progress) - 1, 1)),
                lw=1.2, ms=3, label=f"{frac:.0%} of training")  # fmt: skip
    final = np.array([s["accuracy_by_trial"] for s in analysis["metarl"]["seeds"]], dtype=float)
    trials = np.arange(1, final.shape[1] + 1)
    errs = [100 * sem(final[:, j]) for j in range(final.shape[1])]
    ax.errorbar(trials, 100 * final.mean(0), yerr=errs, color="black", lw=2, capsize=3,
                label=f"final, held-out objects ({final.shape[0]} seeds):\n{SEM_LABEL}")  # fmt: skip
    for name, style in (("side_only", ":"), ("random", ":"), ("ideal_observer", "--")):
        if name in analysis:
            acc = np.array([s["accuracy_by_trial"] for s in analysis[name]["seeds"]], dtype=float).mean(0)
            ax.plot(trials, 100 * acc, style, color="grey", lw=1.2, label=name.replace("_", " "))
    if trials.size >= 2:
        ax.hlines(MONKEYS_PERCENT, 2, trials[-1], colors="crimson", linestyles="--", lw=1.5, label=MONKEYS_LABEL)
    ax.set_xticks(trials)
    ax.set_xlabel("trial of the problem")
    ax.set_ylabel("% correct")
    ax.set_ylim(0, 102)
    ax.set_title("Harlow task: one-shot learning on held-out objects")
    legend_right(ax)
    save_figure(fig, path)


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every Harlow figure of a run directory from its files."""
    config, analysis, metrics, figures = figures_of_run(run_dir)
    out: list[Path] = []
    train = config["train"]
    total_updates = -(-train["total_episodes"] // train["num_envs"])
    if analysis:
        draw(out, figures / "accuracy_by_trial.png", accuracy_figure, analysis, metrics, total_updates)
    params = config["env_params"]
    guess = 0.5 * (params["correct_reward"] + params["incorrect_reward"])
    if params.get("fixation", "screen_size" in params):  # fixation tasks: fixate, then guess
        chance = {"fixate, then guess": guess + params["fixation_reward"]}
    else:
        chance = {"chance": guess}
    curve = ("reward per trial (training objects)", "Harlow task: training", 1.0, chance)
    draw(out, figures / "learning_curve.png", training_curve, metrics, *curve)
    return out


def episode_frames(config: dict[str, Any], actions: np.ndarray, steps: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Re-render the first evaluation episode of the run's first seed from its actions (the
    env is deterministic given the episode key): frames (steps + 1, S, S, 3) (the reset screen
    first) and the steps' rewards and info."""
    env = HarlowPixels()
    params = HarlowPixelsParams(**config["env_params"]).replace(test_objects=True)  # evaluation objects
    key = eval_episode_keys(jax.random.key(config["train"]["seed"]), 1)[0]

    @jax.jit
    def replay(key: jax.Array, actions: jax.Array):
        k_reset, k_steps, _ = split_episode_key(key)  # as every rollout splits an episode key
        obs, state = env.reset(k_reset, params)
        keys = jax.random.split(k_steps, env.num_steps(params))[:steps]

        def body(state, xs):
            k, a = xs
            obs, state, reward, _, _, info = env.step(k, state, a, params)
            return state, (obs, {"reward": reward, **info})

        _, (frames, out) = jax.lax.scan(body, state, (keys, actions))
        return jnp.concatenate([obs[None], frames]), out

    frames, out = replay(key, jnp.asarray(actions[:steps], jnp.int32))
    return np.asarray(frames), {k: np.asarray(v) for k, v in out.items()}


def frames_figure(path: Path, config: dict[str, Any], actions: np.ndarray, steps: int = 11) -> None:
    """The reset screen and the screens after the first ``steps`` steps of one evaluation
    episode of the trained agent: cross, objects, gaze marker; action and reward above each."""
    frames, steps_info = episode_frames(config, actions, steps)
    names = {0: "left", 1: "right", 2: "stay"}
    cols = 6
    rows = -(-len(frames) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.9 * cols, 2.25 * rows + 0.4))
    for ax in np.ravel(axes):
        ax.axis("off")
    for i, (ax, frame) in enumerate(zip(np.ravel(axes), frames)):
        ax.imshow(np.clip(frame, 0, 1), interpolation="nearest")
        if i == 0:
            ax.set_title("start (trial 1)", fontsize=8)
            continue
        t = i - 1
        text = f"{names[int(actions[t])]}: r {steps_info['reward'][t]:+g}"
        if steps_info["trial_end"][t]:
            text += " ✓" if steps_info["correct"][t] else (" timeout" if steps_info["timeout"][t] else " ✗")
        ax.set_title(f"step {t + 1}, {text}", fontsize=7)
    fig.suptitle("Harlow on pixels: one held-out problem, trained agent (gaze = white marker)", fontsize=9)
    save_figure(fig, path, h_pad=1.2, rect=(0, 0, 1, 0.96))


def plot_pixels_run(run_dir: Path) -> list[Path]:
    """Every figure of a pixel-Harlow run: the symbolic task's two and a strip of frames."""
    out = plot_run(run_dir)
    eval_path = Path(run_dir) / "eval.npz"
    if eval_path.exists():
        config, _, _ = read_run(run_dir)
        with np.load(eval_path) as data:
            actions = data["metarl__action"][0, 0]
        path = Path(run_dir) / "figures" / "episode_frames.png"
        frames_figure(path, config, actions)
        out.append(path)
    return out
