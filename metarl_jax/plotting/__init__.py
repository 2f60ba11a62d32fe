"""Figures from a run directory's files (analysis.json, metrics.jsonl); never trains."""
