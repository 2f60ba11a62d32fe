"""Bandit neural analysis (Wang et al. 2018, Fig. 1e–f): better arm and p(left) decoded from h, PCA of h.

Per seed, from ``neural.npz``'s ``hidden`` (E, T, H) and ``untrained__hidden`` (the untrained
network's, on the same problems) with eval.npz's ``arm_probs`` (E, T, k):

- which arm is better (argmax of the episode's arm probabilities; with two arms, p(left) > p(right))
  decoded by logistic regression, and p(left) (arm 0's probability) by ridge regression (R²),
  from h at trials 1, 10, 50 and 100 (step indices 0, 9, 49, 99, clipped to the episode's
  length), folds by episode, chance from permuting episodes' labels;
- PCA of h over the first :data:`PCA_EPISODES` episodes: variance explained by each component;
- the ceiling on the better-arm accuracy: an ideal observer (Bayes posterior under the task's
  prior) given the same network's own choices and rewards before each trial, where the
  params say two arms (no network can know more from its own history).

Keys: ``better_arm_accuracy_t100``, ``better_arm_accuracy_t100_untrained``,
``better_arm_chance_t100``, ``p_left_r2_t100``, ``p_left_r2_chance_t100`` ... for every trial,
``better_arm_base_rate`` (the commoner arm's share), ``better_arm_ideal_t100`` (the ideal
observer's accuracy), ``pca_variance_pc1`` / ``_pc2`` (and ``_untrained``), and the lists
``trials``, ``steps``, ``pca_variance`` for neural.json.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.special

from metarl_jax.neural_analysis import decode, pca
from metarl_jax.tasks.bandit.env import DIFFICULTY_VALUES

TRIALS = (1, 10, 50, 100)  # Wang et al. (2018), Fig. 1f
PCA_EPISODES = 200  # episodes in the PCA (and the figure's trajectories)
PERMUTATIONS = 3  # label permutations for the chance level
NETWORKS = (("", ""), ("untrained__", "_untrained"))  # neural.npz prefix, key suffix
GRID = np.linspace(0.0005, 0.9995, 1000)  # p values for the ideal observer's posterior


def trial_steps(num_steps: int, trials: tuple[int, ...] = TRIALS) -> list[int]:
    """Step index of each trial (one step per trial), clipped to the episode's last step."""
    return [min(t, num_steps) - 1 for t in trials]


def problem_labels(arm_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """arm_probs (E, T, k) or (E, k) -> (better arm (E,) int, p(left) = arm 0's probability (E,))."""
    probs = np.asarray(arm_probs, np.float64)
    probs = probs[:, 0] if probs.ndim == 3 else probs  # constant within an episode
    return probs.argmax(-1), probs[:, 0]


def arm_margin(arm_probs: np.ndarray) -> np.ndarray:
    """p(left) minus the best other arm's p, (E,): > 0 when left is better (the figure's colour)."""
    probs = np.asarray(arm_probs, np.float64)
    probs = probs[:, 0] if probs.ndim == 3 else probs
    return probs[:, 0] - probs[:, 1:].max(-1)


def left_better_posterior(action: np.ndarray, reward: np.ndarray, step: int, params: Any) -> np.ndarray | None:
    """P(arm 0 is better | each episode's choices and rewards of the trials before ``step``), (E,),
    under the task's prior: independent arms p ~ U[0, 1] each; dependent arms (p, 1 − p) with p
    uniform or one of the difficulty's two values. None unless the params say two arms."""
    if params is None or getattr(params, "num_arms", None) != 2:
        return None
    a, r = np.asarray(action)[:, :step], np.asarray(reward, np.float64)[:, :step]
    wins = [((a == arm) * r).sum(1)[:, None] for arm in (0, 1)]
    losses = [((a == arm) * (1.0 - r)).sum(1)[:, None] for arm in (0, 1)]
    if params.distribution == "independent":
        a0, b0 = 1 + wins[0], 1 + losses[0]  # Beta posterior of arm 0: its density on the grid
        density_left = np.exp((a0 - 1) * np.log(GRID) + (b0 - 1) * np.log1p(-GRID) - scipy.special.betaln(a0, b0))
        below_right = scipy.special.betainc(1 + wins[1], 1 + losses[1], GRID)  # P(p_1 < grid)
        return np.clip((density_left * below_right).sum(1) * (GRID[1] - GRID[0]), 0.0, 1.0)
    values = DIFFICULTY_VALUES[params.difficulty]
    grid = GRID if values is None else np.asarray(values, np.float64)  # p of arm 0; arm 1 pays 1 − p
    log_lik = (wins[0] + losses[1]) * np.log(grid) + (losses[0] + wins[1]) * np.log1p(-grid)
    post = np.exp(log_lik - log_lik.max(1, keepdims=True))
    return (post * (grid > 0.5)).sum(1) / post.sum(1)


def _ideal_observer(action: np.ndarray, reward: np.ndarray, better: np.ndarray, params: Any, suffix: str) -> dict:
    """The ideal observer's better-arm accuracy at each of :data:`TRIALS` ({} unless two arms)."""
    out = {}
    for trial, step in zip(TRIALS, trial_steps(np.asarray(action).shape[1])):
        posterior = left_better_posterior(action, reward, step, params)
        if posterior is not None:
            out[f"better_arm_ideal_t{trial}{suffix}"] = float(np.mean(np.where(posterior >= 0.5, 0, 1) == better))
    return out


def _decoding(hidden: np.ndarray, better: np.ndarray, p_left: np.ndarray, suffix: str) -> dict[str, float]:
    """Better-arm accuracy and p(left) R² (with chance) at each of :data:`TRIALS`."""
    out: dict[str, float] = {}
    for trial, step in zip(TRIALS, trial_steps(hidden.shape[1])):
        features = hidden[:, step]
        acc = decode(features, better, discrete=True, permutations=PERMUTATIONS)
        r2 = decode(features, p_left, discrete=False, permutations=PERMUTATIONS)
        out[f"better_arm_accuracy_t{trial}{suffix}"] = acc["score"]
        out[f"better_arm_chance_t{trial}{suffix}"] = acc["chance"]
        out[f"p_left_r2_t{trial}{suffix}"] = r2["score"]
        out[f"p_left_r2_chance_t{trial}{suffix}"] = r2["chance"]
    return out


def analyse_neural(
    behaviour: dict[str, np.ndarray],
    neural: dict[str, np.ndarray],
    params: Any = None,
    seed_analysis: dict[str, Any] | None = None,
) -> dict:
    """One seed's bandit neural numbers, trained and untrained side by side (see the module's keys);
    {} when the recording holds no hidden states (``--record`` without ``hidden``)."""
    if "hidden" not in neural or "arm_probs" not in behaviour:
        return {}
    better, p_left = problem_labels(behaviour["arm_probs"])
    num_steps = neural["hidden"].shape[1]
    counts = np.bincount(better)
    out: dict[str, Any] = {"better_arm_base_rate": float(counts.max() / counts.sum())}
    variance: dict[str, list[float]] = {}
    for prefix, suffix in NETWORKS:
        played = neural if prefix else behaviour  # the untrained network's own choices are in neural.npz
        if f"{prefix}action" in played and f"{prefix}reward" in played:
            out |= _ideal_observer(played[f"{prefix}action"], played[f"{prefix}reward"], better, params, suffix)
        hidden = np.asarray(neural[f"{prefix}hidden"], np.float64)
        out |= _decoding(hidden, better, p_left, suffix)
        ratios = pca(hidden[:PCA_EPISODES], 2)["explained_variance_ratio"]
        variance["untrained" if suffix else "trained"] = ratios
        for i, r in enumerate(ratios):
            out[f"pca_variance_pc{i + 1}{suffix}"] = float(r)
    return out | {"trials": list(TRIALS), "steps": trial_steps(num_steps), "pca_variance": variance}


def read_leading(path: Path, key: str, count: int) -> np.ndarray:
    """``numpy.load(path)[key][0, :count]`` without decompressing the rest: the first seed's first
    ``count`` episodes are the leading bytes of a C-ordered (S, E, ...) array, so only they are read."""
    with zipfile.ZipFile(path) as archive, archive.open(f"{key}.npy") as f:
        version = np.lib.format.read_magic(f)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(f)
        if fortran:  # never written so by numpy.savez; read it whole
            return np.load(path)[key][0, :count]
        rows = min(count, shape[1])
        inner = shape[2:]
        data = f.read(rows * int(np.prod(inner, dtype=np.int64)) * dtype.itemsize)
    return np.frombuffer(data, dtype).reshape(rows, *inner)


def pca_trajectories(run_dir: Path, episodes: int = PCA_EPISODES) -> dict[str, Any] | None:
    """The first seed's PCA trajectories (trained and untrained, each fitted on its own h) and each
    episode's arm margin, from neural.npz and eval.npz; None without a recorded ``hidden``."""
    neural_path, eval_path = Path(run_dir) / "neural.npz", Path(run_dir) / "eval.npz"
    if not (neural_path.exists() and eval_path.exists()):
        return None
    with zipfile.ZipFile(neural_path) as archive:
        names = set(archive.namelist())
    if not {"hidden.npy", "untrained__hidden.npy"} <= names:
        return None
    margin = arm_margin(read_leading(eval_path, "metarl__arm_probs", episodes))
    out: dict[str, Any] = {"margin": margin}
    for prefix, suffix in NETWORKS:
        result = pca(np.asarray(read_leading(neural_path, f"{prefix}hidden", episodes), np.float64), 2)
        out[f"trajectories{suffix}"] = result["trajectories"]
        out[f"variance{suffix}"] = result["explained_variance_ratio"]
    return out
