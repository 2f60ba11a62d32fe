"""Bandit neural analysis: the planted code is decoded from a synthetic recording, every key is
returned, neural.npz is read by its leading bytes, the neural figure draws, and a --record smoke run."""

import json

import numpy as np

from metarl_jax.pipeline import main
from metarl_jax.tasks.bandit import BanditParams, bandit
from metarl_jax.tasks.bandit.neural import (
    TRIALS,
    analyse_neural,
    arm_margin,
    left_better_posterior,
    pca_trajectories,
    problem_labels,
    read_leading,
    trial_steps,
)
from metarl_jax.tasks.bandit.plots import neural_figure, plot_run

DECODING_KEYS = [
    f"{name}_t{t}{suffix}"
    for name in ("better_arm_accuracy", "better_arm_chance", "p_left_r2", "p_left_r2_chance")
    for t in TRIALS
    for suffix in ("", "_untrained")
]
PCA_KEYS = [f"pca_variance_pc{i}{s}" for i in (1, 2) for s in ("", "_untrained")]
IDEAL_KEYS = [f"better_arm_ideal_t{t}{s}" for t in TRIALS for s in ("", "_untrained")]


def _fake_recording(episodes: int = 120, steps: int = 12, units: int = 6, seed: int = 0):
    """Eval and neural arrays of one seed: the trained h carries p(left) and p(right) (plus noise)
    in two units, the untrained h is noise; each network pulls at random."""
    rng = np.random.default_rng(seed)
    probs = rng.uniform(size=(episodes, 2)).astype(np.float32)
    arm_probs = np.repeat(probs[:, None], steps, axis=1)
    hidden = rng.normal(size=(episodes, steps, units)).astype(np.float32) * 0.02
    hidden[..., 0] += probs[:, None, 0]
    hidden[..., 1] += probs[:, None, 1]
    neural = {"hidden": hidden, "untrained__hidden": rng.normal(size=(episodes, steps, units)).astype(np.float32)}

    def pulls():
        action = rng.integers(0, 2, (episodes, steps))
        return action, (rng.random((episodes, steps)) < np.take_along_axis(arm_probs, action[..., None], -1)[..., 0])

    action, reward = pulls()
    neural["untrained__action"], neural["untrained__reward"] = pulls()
    return {"arm_probs": arm_probs, "action": action, "reward": reward.astype(np.float32)}, neural


def test_trial_steps_and_labels():
    assert trial_steps(100) == [0, 9, 49, 99]
    assert trial_steps(20) == [0, 9, 19, 19]  # smoke episodes: clipped to the last trial
    probs = np.array([[0.2, 0.7], [0.9, 0.1], [0.3, 0.5]])
    better, p_left = problem_labels(np.repeat(probs[:, None], 4, axis=1))
    assert better.tolist() == [1, 0, 1] and p_left.tolist() == [0.2, 0.9, 0.3]
    np.testing.assert_allclose(arm_margin(probs), [-0.5, 0.8, -0.2])
    np.testing.assert_allclose(arm_margin(np.array([[0.5, 0.2, 0.6]])), [-0.1])  # k arms: the best other arm


def test_ideal_observer_by_hand():
    independent, dependent = BanditParams(), BanditParams(distribution="dependent")
    easy = BanditParams(distribution="dependent", difficulty="easy")
    action, reward = np.array([[0, 1]]), np.array([[1.0, 0.0]])  # left paid, then right did not
    # independent p ~ U[0, 1]: Beta(2, 1) vs Beta(1, 1): ∫ 2x · x dx = 2/3; vs Beta(1, 2): ∫ 2x (2x − x²) dx = 5/6
    np.testing.assert_allclose(left_better_posterior(action, reward, 1, independent), [2 / 3], atol=1e-4)
    np.testing.assert_allclose(left_better_posterior(action, reward, 2, independent), [5 / 6], atol=1e-4)
    np.testing.assert_allclose(left_better_posterior(action, reward, 0, independent), [0.5], atol=1e-4)
    # dependent (p, 1 − p), p ~ U[0, 1]: posterior Beta(2, 1), P(p > 1/2) = 3/4; easy: 0.9 / (0.9 + 0.1)
    np.testing.assert_allclose(left_better_posterior(action, reward, 1, dependent), [0.75], atol=1e-4)
    np.testing.assert_allclose(left_better_posterior(action, reward, 2, easy), [0.81 / 0.82], atol=1e-6)
    assert left_better_posterior(action, reward, 1, BanditParams(num_arms=3)) is None
    assert left_better_posterior(action, reward, 1, None) is None


def test_analyse_neural_recovers_a_planted_code():
    behaviour, neural = _fake_recording()
    out = analyse_neural(behaviour, neural, BanditParams())
    assert set(DECODING_KEYS + PCA_KEYS + IDEAL_KEYS + ["better_arm_base_rate"]) <= set(out)
    assert all(isinstance(out[k], float) for k in DECODING_KEYS + PCA_KEYS + IDEAL_KEYS)
    assert abs(out["better_arm_ideal_t1"] - out["better_arm_base_rate"]) < 0.3  # no outcome seen yet
    assert out["better_arm_ideal_t100"] > 0.7 and out["better_arm_ideal_t100_untrained"] > 0.7  # 11 random pulls
    assert out["trials"] == list(TRIALS) and out["steps"] == [0, 9, 11, 11]
    assert set(out["pca_variance"]) == {"trained", "untrained"}
    for t in TRIALS:
        assert out[f"better_arm_accuracy_t{t}"] > 0.9  # the planted code is found
        assert out[f"p_left_r2_t{t}"] > 0.9
        assert out[f"better_arm_accuracy_t{t}_untrained"] < 0.75  # noise: near chance
        assert out[f"p_left_r2_t{t}_untrained"] < 0.2
        assert 0.3 < out[f"better_arm_chance_t{t}"] < 0.7 and out[f"p_left_r2_chance_t{t}"] < 0.2
    assert out["pca_variance_pc1"] + out["pca_variance_pc2"] > 0.9  # two planted units carry the variance


def test_analyse_neural_without_hidden_is_empty():
    behaviour, neural = _fake_recording()
    assert analyse_neural(behaviour, {k: v for k, v in neural.items() if not k.endswith("hidden")}) == {}


def _write_run(run_dir, seeds: int = 2):
    """neural.npz and eval.npz of a fake recorded run (seeds × the fake recording)."""
    recordings = [_fake_recording(seed=s) for s in range(seeds)]
    run_dir.mkdir()
    np.savez_compressed(run_dir / "eval.npz", metarl__arm_probs=np.stack([b["arm_probs"] for b, _ in recordings]))
    np.savez_compressed(
        run_dir / "neural.npz", **{k: np.stack([n[k] for _, n in recordings]) for k in recordings[0][1]}
    )
    return recordings


def test_read_leading_reads_the_first_seeds_first_episodes(tmp_path):
    _write_run(tmp_path / "run")
    full = np.load(tmp_path / "run" / "neural.npz")["hidden"]
    np.testing.assert_array_equal(read_leading(tmp_path / "run" / "neural.npz", "hidden", 50), full[0, :50])
    np.testing.assert_array_equal(read_leading(tmp_path / "run" / "neural.npz", "hidden", 10**6), full[0])


def test_pca_trajectories_and_the_neural_figure(tmp_path):
    run_dir = tmp_path / "run"
    recordings = _write_run(run_dir)
    data = pca_trajectories(run_dir, episodes=40)
    assert data["trajectories"].shape == (40, 12, 2) and data["trajectories_untrained"].shape == (40, 12, 2)
    np.testing.assert_allclose(data["margin"], arm_margin(recordings[0][0]["arm_probs"][:40]))
    seeds = [{"seed": s, **analyse_neural(*r, BanditParams())} for s, r in enumerate(recordings)]
    path = tmp_path / "neural.png"
    assert neural_figure(path, run_dir, {"seeds": seeds, "aggregate": {}}) is True
    assert path.stat().st_size > 10_000
    assert neural_figure(tmp_path / "none.png", run_dir, {"seeds": []}) is False
    np.savez_compressed(run_dir / "neural.npz", value=np.zeros((2, 120, 12)))  # recorded without hidden
    assert pca_trajectories(run_dir) is None
    assert neural_figure(tmp_path / "none.png", run_dir, {"seeds": seeds}) is False


def test_record_all_smoke_writes_the_neural_results(tmp_path):
    run_dir = tmp_path / "run"
    assert main(bandit(), ["--smoke", "--quiet", "--record", "all", "--run-dir", str(run_dir)]) == 0
    neural = json.loads((run_dir / "neural.json").read_text())
    assert len(neural["seeds"]) == 2
    assert set(DECODING_KEYS + PCA_KEYS + IDEAL_KEYS) <= set(neural["seeds"][0])
    summary = json.loads((run_dir / "summary.json").read_text())
    aggregate = summary["neural"]["aggregate"]
    assert aggregate["better_arm_accuracy_t100"]["mean"] is not None
    assert 0.0 <= aggregate["better_arm_accuracy_t100_untrained"]["mean"] <= 1.0
    assert all("better_arm_accuracy_t100_untrained" in s for s in summary["neural"]["seeds"])
    figure = run_dir / "figures" / "neural.png"
    assert figure.stat().st_size > 10_000
    figure.unlink()
    assert figure in plot_run(run_dir) and figure.exists()  # redrawn from the run's files
