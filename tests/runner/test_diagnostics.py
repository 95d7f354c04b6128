"""sim.runner.diagnostics: warnings where the population could not reproduce the base year — beyond the
granularity of the calibration, in more than a quarter of the runs — and `Results.warnings()`."""

from __future__ import annotations

import numpy as np

from sim.runner import diagnostics
from sim.runner.montecarlo import run_scenario


class _Diagnostics:
    """Just the diagnostics `calibration_warnings` reads: gaps, their flows (or none, as batches resumed from a
    checkpoint written before `calibration_flow` existed) and R&D on target."""

    def __init__(self, gap: list[float], flow: list[float] | None) -> None:
        self.values = {"calibration_gap": np.array(gap), "base_rd_to_gdp": np.full(len(gap), 0.02),
                       "rd_to_gdp_target": np.full(len(gap), 0.02)}
        if flow is not None:
            self.values["calibration_flow"] = np.array(flow)

    def diagnostic(self, name: str) -> np.ndarray:
        return self.values[name]


def test_a_calibration_shortfall_is_warned_about_only_beyond_five_percent_of_the_flow():
    """Gaps of a few certifications out of 570 are the calibration's granularity; 40 of 570 is a shortfall. A
    run resumed from batches without the flow falls back to the absolute rule (half a certificate)."""
    assert diagnostics.calibration_warnings(_Diagnostics([10.0] * 4, [570.0] * 4)) == []
    [warning] = diagnostics.calibration_warnings(_Diagnostics([40.0] * 4, [570.0] * 4))
    assert "in 100% of runs" in warning and "median shortfall 40" in warning
    assert len(diagnostics.calibration_warnings(_Diagnostics([10.0] * 4, None))) == 1


def test_a_tenant_shortfall_is_warned_about_only_beyond_a_tenth_of_the_stated_tenants():
    """5 of 100 stated tenants missing is noise of the base year; 60 of 100 changes occupancy and recognition."""
    few = _Diagnostics([0.0] * 4, [570.0] * 4)
    few.values.update(tenant_gap=np.full(4, 5.0), tenants_stated=np.full(4, 100.0))
    assert diagnostics.calibration_warnings(few) == []
    many = _Diagnostics([0.0] * 4, [570.0] * 4)
    many.values.update(tenant_gap=np.array([60.0, 60.0, 0.0, 0.0]), tenants_stated=np.full(4, 100.0))
    [warning] = diagnostics.calibration_warnings(many)
    assert "in 50% of runs" in warning and "a median 40 tenants of the 100 stated" in warning
    assert "tenant_gap" in warning


def test_results_warn_as_the_command_does(tiny, tmp_path):
    """A notebook's `Results.warnings()` gives what `zonesim run` prints and manifest.json holds: here the tenant
    shortfall of a region whose stated tenants its zones cannot supply (a run said nothing of it before)."""
    from sim.report.files import write_results
    from sim.runner.resultdir import read_manifest
    from tests.model.support import with_quantities

    r = run_scenario(with_quantities(tiny, tenants_in_zones=100_000), runs=2, workers=1)
    [tenants] = [w for w in r.warnings() if "tenant_gap" in w]
    assert "in 100% of runs" in tenants
    write_results(r, tmp_path / "out", plots=False)
    assert read_manifest(tmp_path / "out")["warnings"] == r.warnings()
