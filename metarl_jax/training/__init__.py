"""Training: configs and flags, the A2C update (pure), the host loop, seed layout, checkpoints and run-directory I/O."""
