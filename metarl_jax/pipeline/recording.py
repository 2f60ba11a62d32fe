"""``--record``: evaluation that also keeps the agent's inside (LSTM h and c, value, action
probabilities, TD error δ) for the trained network and, as the control, the untrained one
(initial parameters) on the same episodes; written to neural.npz beside eval.npz.

neural.npz keys (same episode order as eval.npz, plain arrays, ``numpy.load`` without pickle):
``hidden``, ``cell`` (S, E, T, H) float32; ``value``, ``rpe`` (S, E, T); ``policy`` (S, E, T, A);
``untrained__<key>`` the same for the untrained network, with its own ``untrained__action``,
``untrained__reward`` and info arrays (it plays the same problems, but its own choices).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from metarl_jax.evaluation import NEURAL_KEYS, evaluate_network
from metarl_jax.training.config import RECORD_FIELDS

# --record field -> neural.npz arrays it keeps
RECORDED = {"hidden": ("hidden", "cell"), "value": ("value",), "policy": ("policy",), "rpe": ("rpe",)}


def record_fields(record: str | None) -> tuple[str, ...]:
    """``--record`` -> the fields it asks for (``all``: every one); () when not recording (``none``)."""
    if not record:
        return ()
    fields = [f.strip() for f in record.split(",")]
    return tuple(f for f in RECORD_FIELDS if f not in ("all", "none") and ("all" in fields or f in fields))


def recording_bytes(fields: tuple[str, ...], seeds: int, episodes: int, steps: int, hidden: int, actions: int) -> int:
    """Bytes of neural.npz's arrays (trained and untrained) before compression, float32."""
    per_step = {"hidden": 2 * hidden, "value": 1, "policy": actions, "rpe": 1}
    return 2 * 4 * seeds * episodes * steps * sum(per_step[f] for f in fields)


def split_recorded(arrays: dict[str, np.ndarray], fields: tuple[str, ...]) -> tuple[dict, dict]:
    """A recorded evaluation -> (eval.npz arrays, neural arrays kept by ``fields``)."""
    keep = {k for f in fields for k in RECORDED[f]}
    behaviour = {k: v for k, v in arrays.items() if k not in NEURAL_KEYS}
    return behaviour, {k: arrays[k] for k in NEURAL_KEYS if k in keep}


def evaluate_recorded(
    rollout: Any, params: Any, initial_params: Any, seed_keys: Any, setup: Any, fields: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The trained network's evaluation arrays and the neural arrays of it and of the untrained
    network (``initial_params``), on the same episode keys."""
    n, greedy, gamma = setup.train.eval_episodes, setup.train.eval_policy == "greedy", setup.train.gamma
    behaviour, neural = split_recorded(evaluate_network(rollout, params, seed_keys, n, greedy, gamma), fields)
    untrained_behaviour, untrained = split_recorded(
        evaluate_network(rollout, initial_params, seed_keys, n, greedy, gamma), fields
    )
    neural |= {f"untrained__{k}": v for k, v in (untrained | untrained_behaviour).items()}
    return behaviour, neural
