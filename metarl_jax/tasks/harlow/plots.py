"""Harlow figures: accuracy per trial through training, the learning curve, inside the agent, a pixel episode's frames.

Per-trial accuracy on held-out objects at points through training (Wang et al. 2018, Fig. 6c;
Harlow 1949) and the training learning curve; with ``--record``, the rewarded object decoded
from the LSTM trial by trial and the RPE at each trial's outcome (neural.png, from neural.json);
for the pixel task also the first frames of one evaluation episode, re-rendered from eval.npz's
actions. Reads analysis.json, neural.json, metrics.jsonl, config.json and eval.npz; never trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from metarl_jax import figures as shared  # figure helpers every task uses
from metarl_jax.core.keys import eval_episode_keys, split_episode_key
from metarl_jax.core.stats import sem
from metarl_jax.figures import plt
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
                label=f"final, held-out objects ({final.shape[0]} seeds):\n{shared.SEM_LABEL}")  # fmt: skip
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
    shared.legend_right(ax)
    shared.save_figure(fig, path)


def _per_seed(neural: dict[str, Any], key: str) -> np.ndarray:
    """(S, trials) float of a per-trial list in neural.json's seeds (None -> NaN)."""
    return np.array([s[key] for s in neural["seeds"]], dtype=float)


def _mean_sem_line(ax, values: np.ndarray, label: str, **style) -> None:
    """Mean over seeds (rows) ± SEM at trials 1..n."""
    trials = np.arange(1, values.shape[1] + 1)
    errs = [sem(values[:, j]) for j in range(values.shape[1])]
    ax.errorbar(trials, np.nanmean(values, axis=0), yerr=errs, capsize=3, label=label, **style)


def neural_figure(path: Path, neural: dict[str, Any]) -> bool | None:
    """Left: which object on the screen is the rewarded one, decoded from ``h`` at each trial's
    choice, trained vs untrained, with the permutation chance, and the trained network's memory of
    trial 1's layout (was the rewarded object on the left then?) from h and from h and c; right: mean
    |δ| at each trial's outcome (trial 1 vs 2: the trained agent predicts after one trial).
    False (nothing drawn) when neural.json has neither."""
    first = neural["seeds"][0]
    has_decoding, has_rpe = "rewarded_object_accuracy_by_trial" in first, "rpe_by_trial" in first
    if not (has_decoding or has_rpe):
        return False
    n = len(neural["seeds"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    trained = {"color": "black", "lw": 2, "marker": "o", "ms": 4}
    untrained = {"color": "tab:orange", "lw": 1.5, "marker": "s", "ms": 3}
    labels = (f"trained ({n} seeds), {shared.SEM_LABEL}", "untrained (initial parameters, same episodes)")
    if has_decoding:
        _mean_sem_line(left, _per_seed(neural, "rewarded_object_accuracy_by_trial"), labels[0], **trained)
        _mean_sem_line(left, _per_seed(neural, "rewarded_object_accuracy_by_trial_untrained"), labels[1], **untrained)
        chance = np.nanmean(_per_seed(neural, "rewarded_object_chance_by_trial"), axis=0)
        left.plot(np.arange(1, chance.size + 1), chance, ":", color="grey", lw=1.5, label="chance (labels permuted)")
        if "trial_1_layout_accuracy_by_trial" in first:
            layout = {"color": "tab:blue", "lw": 1.2, "ls": "--", "marker": "^", "ms": 3}
            label = "trained: was it left in trial 1? (from h)"
            _mean_sem_line(left, _per_seed(neural, "trial_1_layout_accuracy_by_trial"), label, **layout)
        both = [s.get("trial_1_layout_accuracy_after_trial_1_hidden_and_cell") for s in neural["seeds"]]
        if any(v is not None for v in both):
            left.plot([2] * n, np.array(both, dtype=float), "D", color="tab:blue", ms=4, alpha=0.7,
                      label="trained: was it left in trial 1? (from h and c, each seed)")  # fmt: skip
        left.set_ylim(0.35, 1.02)
        left.set_xticks(np.arange(1, chance.size + 1))
        left.set_xlabel("trial k of the problem (decoded at its choice: outcomes of 1..k−1 seen)")
        left.set_ylabel("decoding accuracy (held-out episodes)")
        left.set_title("Which object on the screen is rewarded?\nlogistic decoding from h", fontsize=10)
    if has_rpe:
        _mean_sem_line(right, _per_seed(neural, "rpe_by_trial"), labels[0], **trained)
        _mean_sem_line(right, _per_seed(neural, "rpe_by_trial_untrained"), labels[1], **untrained)
        right.set_ylim(bottom=0)
        right.set_xticks(np.arange(1, _per_seed(neural, "rpe_by_trial").shape[1] + 1))
        right.set_xlabel("trial of the problem")
        right.set_ylabel("mean |δ| at the outcome")
        right.set_title("Reward-prediction error at the choice's outcome\n(trial 1: a guess; then predicted)",
                        fontsize=10)  # fmt: skip
    handles, names = left.get_legend_handles_labels() if has_decoding else right.get_legend_handles_labels()
    bottom = shared.figure_legend(fig, handles, names, ncol=2)[1]
    fig.suptitle("Harlow, inside the agent (held-out objects; Wang et al. 2018, Fig. 6)", fontsize=11)
    shared.save_figure(fig, path, rect=(0, bottom, 1, 0.95))
    return None


def plot_run(run_dir: Path) -> list[Path]:
    """Redraw every Harlow figure of a run directory from its files."""
    config, analysis, metrics, figures = shared.figures_of_run(run_dir)
    out: list[Path] = []
    train = config["train"]
    total_updates = -(-train["total_episodes"] // train["num_envs"])
    if analysis:
        shared.draw(out, figures / "accuracy_by_trial.png", accuracy_figure, analysis, metrics, total_updates)
    params = config["env_params"]
    guess = 0.5 * (params["correct_reward"] + params["incorrect_reward"])
    if params.get("fixation", "screen_size" in params):  # fixation tasks: fixate, then guess
        chance = {"fixate, then guess": guess + params["fixation_reward"]}
    else:
        chance = {"chance": guess}
    curve = ("reward per trial (training objects)", "Harlow task: training", 1.0, chance)
    shared.draw(out, figures / "learning_curve.png", shared.training_curve, metrics, *curve)
    neural = shared.read_neural(run_dir)
    if neural:
        shared.draw(out, figures / "neural.png", neural_figure, neural)
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
    shared.save_figure(fig, path, h_pad=1.2, rect=(0, 0, 1, 0.96))


def plot_pixels_run(run_dir: Path) -> list[Path]:
    """Every figure of a pixel-Harlow run: the symbolic task's two and a strip of frames."""
    out = plot_run(run_dir)
    eval_path = Path(run_dir) / "eval.npz"
    if eval_path.exists():
        config, _, _ = shared.read_run(run_dir)
        with np.load(eval_path) as data:
            actions = data["metarl__action"][0, 0]
        path = Path(run_dir) / "figures" / "episode_frames.png"
        frames_figure(path, config, actions)
        out.append(path)
    return out
