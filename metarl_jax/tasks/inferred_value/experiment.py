"""The inferred-value experiment (Wang et al. 2018, Fig. 4; Bromberg-Martin et al. 2010):
defaults, the model-free control, analysis, the recorded network's prediction errors, figures."""

from __future__ import annotations

from metarl_jax.pipeline.spec import Experiment
from metarl_jax.tasks.inferred_value.analysis import CELLS, analyse_seed
from metarl_jax.tasks.inferred_value.baselines import reference_agents
from metarl_jax.tasks.inferred_value.env import InferredValue
from metarl_jax.tasks.inferred_value.neural import analyse_neural
from metarl_jax.tasks.inferred_value.plots import plot_run
from metarl_jax.training.config import TrainConfig

PAPER = {
    "source": "Bromberg-Martin et al. (2010) J. Neurophysiol. 104:1068; Wang et al. (2018) Nat. Neurosci. "
    "21:860, Fig. 4 (Simulation 3)",
    "task": "one of two targets per trial, one rewarded and one not, values reversing between blocks without a "
    "signal; response to a target's first presentation after a reversal",
    "inferred_value": "dopamine, lateral habenula and pallidal neurons signal the new value of a target not yet "
    "presented since the reversal when the other target was (inferred value), in some animals more weakly than "
    "the experienced value (Bromberg-Martin et al. 2010)",
    "meta_rl_agent": "the meta-RL agent's prediction error at target onset reflects the inferred value: its sign "
    "follows the target's new value (Wang et al. 2018 Fig. 4)",
    "model_free_control": "a model-free TD learner's prediction error for an inferred target follows the old value",
    "ours": "rewards +1/-1 (the 1DR saccade task's reward / no reward, centred), block lengths uniform on 5-15 "
    "trials, 20 trials per episode, three steps per trial (fixation, target, outcome); "
    "the second trial after each reversal, split by whether its target was presented on the first",
}


def inferred_value() -> Experiment:
    """``python experiments/inferred_value.py``."""
    return Experiment(
        name="inferred_value",
        make_env=InferredValue,
        description=(
            "Meta-RL on an inferred-value reversal task (Bromberg-Martin et al. 2010; Wang et al. 2018, Fig. 4): "
            "the critic's prediction error at target onset after a reversal, experienced vs inferred value, "
            "beside a model-free TD learner and the untrained network."
        ),
        # Calibrated on the 2-core CPU (notes/inferred_value.md): the response is forced, so the
        # policy loss only adds noise and the critic carries the learning (value_coef 20); TD(0.5)
        # returns; 16 short episodes per update, 3840 updates.
        train_defaults=TrainConfig(
            total_episodes=61_440, num_envs=16, lr=1e-2, gae_lambda=0.5, value_coef=20.0, eval_episodes=300
        ),
        env_overrides={},
        smoke_train={"num_seeds": 2, "total_episodes": 32, "num_envs": 16, "chunk_size": 2, "eval_episodes": 30},
        smoke_env={"trials_per_episode": 10, "block_min": 2, "block_max": 4},  # reversals in a few episodes
        baselines=reference_agents,
        analyse_seed=lambda arrays, params: analyse_seed(arrays),
        summary_metrics=("reversals", *(f"mf_rpe_{c}" for c in CELLS), "mf_follows_old_value"),
        plot=plot_run,
        analyse_neural=analyse_neural,
        record_default="rpe",
        paper=PAPER,
    )
