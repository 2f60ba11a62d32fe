"""Arrays -> numbers: stay probabilities, regressions, accuracies, regret."""
