"""The bottom layer: errors and validators, the PRNG-key contracts, statistics. Imports nothing of ours."""
