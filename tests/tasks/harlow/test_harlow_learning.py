"""A short learning run on Harlow's task must learn to learn: on held-out objects, choices after
the first trial of an episode beat chance (0.5) while the first trial stays at chance (nothing
tells the agent which object is rewarded until it has tried one)."""

from learning_runs import train_briefly

from metarl_jax.evaluation import NEURAL_KEYS
from metarl_jax.tasks.harlow.analysis import analyse_seed


def test_harlow_agent_learns_in_one_shot_on_held_out_objects():
    trained, untrained, params = train_briefly("harlow", total_episodes=89_600)  # 700 updates, ~10 s
    assert params.test_objects  # evaluated on the held-out object pool
    for seed in range(2):
        m = analyse_seed({k: v[seed] for k, v in trained.items() if k not in NEURAL_KEYS}, params)
        # Observed 0.92 and 0.94 after 700 updates (Wang 2018 Fig. 6: near 1 after training).
        assert m["accuracy_trials_2_6"] > 0.75, m
        assert abs(m["accuracy_trial_1"] - 0.5) < 0.1, m
        u = analyse_seed({k: v[seed] for k, v in untrained.items() if k not in NEURAL_KEYS}, params)
        assert u["accuracy_trials_2_6"] < 0.6, u
