"""NeuroGym's ``DawTwoStep-v0`` stepped as its users step it: the gymnasium API on one
env (``gym.make``, with gymnasium's default checker wrappers), and gymnasium's vector
envs (NeuroGym has none of its own; its docs use SB3's DummyVecEnv, which like
gymnasium's SyncVectorEnv steps the envs one after another in Python).

Runs in a separate venv that has neurogym (it pins numpy, gymnasium and matplotlib
versions that conflict with ours, and imports torch): see benchmarks/README.md.
Imports nothing from metarl_jax. Prints one JSON line.

NeuroGym's trial: step 1 is the first-stage choice (actions 1, 2; action 0 = fixate
aborts the trial with reward −0.1) and pays the second-stage reward at once; step 2
expects fixation (action 0; anything else costs −0.1) and shows the fixation cue.
``reset()`` itself takes one random step, so one untimed fixation step follows it to
start the timed stream at a trial's first stage. Policies: ``valid`` = a random choice
in {1, 2} then fixate, so every trial takes exactly 2 steps; ``random`` = uniform over
{0, 1, 2}, so some trials abort after 1 step.
trials/s counts completed trials (a first-stage choice made).

/tmp/ngvenv/bin/python benchmarks/peers/neurogym_two_step.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import warnings

import numpy as np

ENV_ID = "DawTwoStep-v0"


def actions_for(policy: str, steps: int, rng: np.random.Generator) -> np.ndarray:
    if policy == "valid":
        a = rng.integers(1, 3, steps)
        a[1::2] = 0  # fixate on every second step
        return a
    return rng.integers(0, 3, steps)


def count_trials(actions: np.ndarray) -> tuple[int, int]:
    """(trials started and ended, trials with a first-stage choice) for one env's action stream."""
    trials = completed = 0
    stage = 0
    for a in actions.tolist():
        if stage == 0:
            if a == 0:
                trials += 1  # abort
            else:
                stage = 1
        else:
            trials += 1
            completed += 1
            stage = 0
    return trials, completed


def run_single(gym, policy: str, steps: int, seed: int = 0) -> dict:
    env = gym.make(ENV_ID)
    env.reset(seed=seed)
    env.step(0)  # reset() takes one random step; fixating now ends or aborts that trial: stage 1 next
    actions = actions_for(policy, steps, np.random.default_rng(seed))
    step = env.step
    r_sum = o_sum = 0.0
    t0 = time.perf_counter()
    for a in actions:
        obs, reward, terminated, truncated, info = step(a)
        r_sum += reward
        o_sum += obs.sum()
    sec = time.perf_counter() - t0
    _, completed = count_trials(actions)
    return check(
        {"api": "single", "policy": policy, "batch": 1, "steps": steps, "seconds": sec},
        actions[None],
        r_sum,
        o_sum,
        completed,
    )


def run_vector(gym, kind: str, policy: str, batch: int, steps: int, seed: int = 0) -> dict:
    fns = [lambda: gym.make(ENV_ID)] * batch
    envs = gym.vector.SyncVectorEnv(fns) if kind == "sync" else gym.vector.AsyncVectorEnv(fns)
    try:
        envs.reset(seed=seed)
        envs.step(np.zeros(batch, np.int64))  # as in run_single: every env at stage 1 next
        rng = np.random.default_rng(seed)
        per_env = np.stack([actions_for(policy, steps, rng) for _ in range(batch)], axis=1)  # (steps, batch)
        r_sum = o_sum = 0.0
        t0 = time.perf_counter()
        for a in per_env:
            obs, reward, terminated, truncated, info = envs.step(a)
            r_sum += reward.sum()
            o_sum += obs.sum()
        sec = time.perf_counter() - t0
    finally:
        envs.close()
    completed = sum(count_trials(per_env[:, i])[1] for i in range(batch))
    info = {"api": f"{kind}_vector", "policy": policy, "batch": batch, "steps": steps * batch, "seconds": sec}
    return check(info, per_env.T, r_sum, o_sum, completed)


def check(result: dict, actions: np.ndarray, r_sum: float, o_sum: float, completed: int) -> dict:
    """Checksums vs their analytic values. Observations: one-hot each step except an abort's
    (zeros). Rewards (valid policy): a random first-stage choice reaches either second-stage
    state w.p. ½ (p1 = p2 = 0.8), which pays 0.9 or 0.1 → ½ per completed trial."""
    aborts = sum(count_trials(row)[0] - count_trials(row)[1] for row in actions)
    expected_obs = result["steps"] - aborts
    ok_obs = abs(o_sum - expected_obs) < 1e-6 * max(1, expected_obs)
    ok_reward = True
    if result["policy"] == "valid":
        ok_reward = abs(r_sum / completed - 0.5) < 6 * 0.5 / math.sqrt(completed) + 1e-9
    result.update(
        trials=completed,
        env_steps_per_s=result["steps"] / result["seconds"],
        trials_per_s=completed / result["seconds"],
        reward_per_trial=r_sum / max(completed, 1),
        checksum_ok=bool(ok_obs and ok_reward),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")  # gymnasium's checker warns about float64 observations
    import gymnasium as gym
    import neurogym

    results = []
    if args.smoke:
        single_steps, plan = 200, [("sync", 16, 20)]
    elif args.quick:
        single_steps, plan = 20000, [("sync", 16, 1250), ("sync", 256, 80)]
    else:
        single_steps = 200000
        cores = os.cpu_count() or 1
        plan = [("sync", 16, 2500), ("sync", 256, 250), ("async", cores, 2500), ("async", 16, 1000)]
    for policy in ("valid", "random"):
        results.append(run_single(gym, policy, single_steps))
    for kind, batch, steps in plan:
        results.append(run_vector(gym, kind, "valid", batch, steps))
    torch_version = None
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        pass
    print(
        json.dumps(
            {
                "neurogym_version": getattr(neurogym, "__version__", None),
                "gymnasium_version": gym.__version__,
                "numpy_version": np.__version__,
                "torch_version": torch_version,
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
