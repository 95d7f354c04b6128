"""Measures: indicators from the model's per-zone sums, targets, statistics, back-test scores."""
