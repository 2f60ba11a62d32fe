"""The interface shared by every non-neural agent: three pure functions over a state pytree."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax


class Policy(NamedTuple):
    """``state = init(key)``; ``action = act(key, state, obs)``;
    ``state = observe(state, action, reward, info)`` after every env step."""

    name: str
    init: Callable[[jax.Array], Any]
    act: Callable[[jax.Array, Any, jax.Array], jax.Array]
    observe: Callable[[Any, jax.Array, jax.Array, dict[str, jax.Array]], Any]
