"""Where a run's seeds live: the leading (seed) axis of the training state sharded across
devices, padded with throwaway copies of the last seed where the seed count does not split
evenly (5 seeds on 2 cores train as 3 + 3, not 5 on one core). Pad seeds never leave
:func:`metarl_jax.training.loop.train`: metrics, checkpoints and evaluation see real seeds.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from metarl_jax.core.keys import data_to_keys, keys_to_data


def seed_layout(num_seeds: int, num_devices: int) -> tuple[int, int]:
    """(devices used, padded seed count) for ``num_seeds`` seeds on up to ``num_devices``.
    The load per device is the smallest possible, ceil(num_seeds / min(num_seeds, devices));
    of the device counts giving it, the fewest (the least padding). 8 seeds on 2: (2, 8);
    5 on 2: (2, 6), one pad seed; 6 on 4: (3, 6); 7 on 4: (4, 8)."""
    num_seeds, num_devices = max(1, num_seeds), max(1, num_devices)
    load = -(-num_seeds // min(num_seeds, num_devices))
    used = -(-num_seeds // load)
    return used, used * load


def shard_seeds(tree: Any, devices: Sequence[Any] | None = None) -> Any:
    """Place the leading (seed) axis of every leaf across ``devices`` (default: all) with
    Mesh + NamedSharding; the seed count must be a multiple of the device count."""
    devices = list(devices or jax.devices())
    if len(devices) == 1:
        return jax.device_put(tree, devices[0])
    mesh = Mesh(np.array(devices), ("seed",))
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec("seed")))


def num_seeds_of(tree: Any) -> int:
    """Length of the leading (seed) axis of a pytree's leaves."""
    return int(jax.tree.leaves(tree)[0].shape[0])


def _take_seeds(tree: Any, index: np.ndarray) -> Any:
    """Leaves indexed along the seed axis on the host (typed PRNG keys via their key data, as
    checkpoints store them): no per-leaf compilation, unlike eager indexing of device arrays."""
    taken = jax.tree.map(lambda d: np.asarray(d)[index], keys_to_data(tree))
    return data_to_keys(taken, tree)


def pad_seeds(tree: Any, total: int) -> Any:
    """Extend the seed axis to ``total`` by repeating the last seed (typed PRNG keys too)."""
    n = num_seeds_of(tree)
    if total == n:
        return tree
    return _take_seeds(tree, np.minimum(np.arange(total), n - 1))


@dataclasses.dataclass(frozen=True)
class SeedLayout:
    """Where a run's seeds train, computed once per run (:meth:`for_run`) and passed to the
    training loop, evaluation and config.json: the first ``len(devices)`` devices, each holding
    ``padded / len(devices)`` seeds, the last ``padded - num_seeds`` of them throwaway pads."""

    num_seeds: int
    devices: tuple[Any, ...]
    padded: int

    @classmethod
    def for_run(cls, num_seeds: int, devices: Sequence[Any] | None = None) -> SeedLayout:
        """The layout of :func:`seed_layout` over ``devices`` (default: every device)."""
        devices = list(devices or jax.devices())
        used, padded = seed_layout(num_seeds, len(devices))
        return cls(num_seeds, tuple(devices[:used]), padded)

    def info(self) -> dict[str, int]:
        """config.json's ``seed_layout``: devices used, seeds per device, pad seeds."""
        return {
            "devices": len(self.devices),
            "seeds_per_device": self.padded // len(self.devices),
            "pad_seeds": self.padded - self.num_seeds,
        }

    def for_training(self, tree: Any) -> Any:
        """Seeds padded and sharded across the layout's devices."""
        return shard_seeds(pad_seeds(tree, self.padded), self.devices)

    def real(self, tree: Any) -> Any:
        """The real seeds of a training-layout tree (see :func:`real_seeds`)."""
        return real_seeds(tree, self.num_seeds)

    def for_evaluation(self, tree: Any) -> Any:
        """Real seeds placed for evaluation: sharded as in training when no padding is needed,
        else on the first device."""
        if self.padded != self.num_seeds:
            return jax.device_put(tree, self.devices[0])
        return shard_seeds(tree, self.devices)


def real_seeds(tree: Any, num_seeds: int) -> Any:
    """The first ``num_seeds`` seeds of a padded tree, on one device; ``tree`` itself
    (its sharding kept) when it holds no pad seeds."""
    if num_seeds_of(tree) == num_seeds:
        return tree
    return jax.device_put(_take_seeds(tree, np.arange(num_seeds)), jax.devices()[0])
