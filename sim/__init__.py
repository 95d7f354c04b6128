"""zonesim: agent-based Monte Carlo simulation of Chinese high-tech zones against their plans' targets.

Library API (the `zonesim` command only wraps it)::

    import sim
    from sim.report.files import write_results
    scenario = sim.load_scenario("scenarios/guangxi_2020.yaml")
    results = sim.run(scenario, runs=2000, seed=0)
    results.summary()                          # one row a target: median, 5-95% band, P(hit) with its interval
    write_results(results, "results/guangxi")  # summary.csv, per-run Parquet, fan charts, manifest.json
"""

from sim.errors import RunError, ScenarioError, ZonesimError
from sim.input.scenario import Scenario, load_scenario
from sim.version import __version__

__all__ = ["RunError", "Scenario", "ScenarioError", "ZonesimError", "__version__", "load_scenario", "run"]


def run(scenario: Scenario, runs: int | None = None, seed: int = 0, workers: int | None = None,
        batch_size: int | None = None, progress: bool = False, **options):  # noqa: ANN201 - Results, imported late
    """Run a scenario's Monte Carlo and return its `Results` (`summary()`, `indicator(name)`, `target_hits`, …).

    runs: a fixed number of runs, or None for the adaptive rule (500 at a time until every target's 95% interval
    is within ±2 points, at most 2,500); seed: the same seed gives the same numbers whatever `workers` (processes,
    default all cores) and `batch_size`; progress: a bar on stderr. Further options (checkpoint, resume,
    only_runs, client, …) and the errors raised: `sim.runner.montecarlo.run_scenario`. A count that is not a whole
    number ≥ 1 raises ValueError."""
    from sim.runner.montecarlo import run_scenario

    return run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size, progress=progress,
                        **options)
