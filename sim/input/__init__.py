"""Input: scenario and experiment files read with their positions, validated, frozen; history and posteriors."""
