"""A short learning run on the volatility task must beat chance on Behrens' test schedule:
options pay with p and 1 − p, so a random player collects 0.5 per trial."""

import numpy as np
from learning_runs import train_briefly


def test_volatility_agent_beats_chance_on_the_test_schedule():
    trained, untrained, params = train_briefly("volatility", total_episodes=8_192)  # 256 updates, ~16 s
    assert trained["reward"].shape[-1] == params.trials_per_episode  # the 290-trial test schedule
    reward = trained["reward"].mean((1, 2))
    # Observed 0.68 and 0.70 after 256 updates; the untrained network 0.50.
    assert np.all(reward > 0.6), reward
    assert np.all(np.abs(untrained["reward"].mean((1, 2)) - 0.5) < 0.03)
