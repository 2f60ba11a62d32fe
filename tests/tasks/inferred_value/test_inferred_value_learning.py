"""A short learning run on the inferred-value task must learn the targets' values: the critic's
prediction error at the onset of a target already met in the current block has the sign of
that target's value (chance: 0, as for the untrained network)."""

from learning_runs import train_briefly

from metarl_jax.tasks.inferred_value.analysis import conditions, split_by_condition, trial_arrays
from metarl_jax.tasks.inferred_value.neural import onset_errors


def _experienced(arrays: dict, seed: int) -> dict:
    one = {k: v[seed] for k, v in arrays.items()}
    return split_by_condition(onset_errors(one["rpe"]), conditions(trial_arrays(one)), "rpe")


def test_inferred_value_critic_learns_the_targets_values():
    trained, untrained, _ = train_briefly("inferred_value", total_episodes=8_192)  # 512 updates, ~8 s
    for seed in range(2):
        split = _experienced(trained, seed)
        # Observed +0.91..+1.05 (good) and -0.87..-1.00 (bad) after 512 updates; rewards are ±1.
        assert split["rpe_experienced_good"] > 0.5, split
        assert split["rpe_experienced_bad"] < -0.5, split
        control = _experienced(untrained, seed)
        assert abs(control["rpe_experienced_good"]) < 0.1 and abs(control["rpe_experienced_bad"]) < 0.1
