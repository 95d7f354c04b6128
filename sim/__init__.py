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


def run(scenario: Scenario, **kwargs):  # noqa: ANN201 - re-exported below
    """Run a scenario's Monte Carlo; see `sim.runner.montecarlo.run_scenario` for the options."""
    from sim.runner.montecarlo import run_scenario

    return run_scenario(scenario, **kwargs)
