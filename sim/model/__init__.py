"""The model: agents as arrays, the base-year population, the calendar, the mechanisms and the levers."""
