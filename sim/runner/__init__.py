"""Runs: Monte Carlo over worker processes, checkpoints and result folders, comparisons, calibration."""
