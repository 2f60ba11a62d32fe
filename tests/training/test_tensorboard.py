"""--tensorboard writes event files with per-seed and mean scalars."""

import struct
from pathlib import Path

from metarl_jax import pipeline
from metarl_jax.registry import EXPERIMENTS


def read_scalar_tags(path: Path) -> dict[str, list[float]]:
    """Parse a TFRecord event file with tensorboardX's protobufs: tag -> values."""
    from tensorboardX.proto.event_pb2 import Event

    data = path.read_bytes()
    out: dict[str, list[float]] = {}
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos : pos + 8])
        event = Event.FromString(data[pos + 12 : pos + 12 + length])
        pos += 12 + length + 4
        for value in event.summary.value:
            out.setdefault(value.tag, []).append(value.simple_value)
    return out


def test_tensorboard_event_files(tmp_path: Path):
    spec = EXPERIMENTS["two_step"]()
    run_dir = tmp_path / "run"
    assert pipeline.main(spec, ["--smoke", "--quiet", "--tensorboard", "--run-dir", str(run_dir)]) == 0
    events = list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert len(events) == 1
    scalars = read_scalar_tags(events[0])
    for tag in ("reward_per_trial/mean", "reward_per_trial/seed_0", "reward_per_trial/seed_1", "loss/mean"):
        assert len(scalars[tag]) == 2, tag  # smoke: 2 chunks
    assert all(0.0 <= v <= 1.0 for v in scalars["reward_per_trial/mean"])
