"""The state of a batch of runs: agents as struct-of-arrays over (runs, slots) and per-zone arrays.

Why slots: each run has a firm capacity fixed by its own draws (never by levers or its batch), and each named
stream yields that many uniforms per call, so slot k meets the same uniforms in every variant of a scenario and
in every batch (common random numbers). Firms that exit leave their slot empty; entrants take the next free
slot, in the same order everywhere, and draw their traits by their ordinal. The arrays of a batch start at its
widest base population and grow with entry; unused slots are inert. `sim.model.population` builds the base
year's state; the mechanisms (`sim.model.mechanisms`) change it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Firms:
    capacity: np.ndarray       # (runs,) slots each run may use; the arrays are padded to the batch's widest
    alive: np.ndarray          # bool
    zone: np.ndarray           # int16 zone index
    age: np.ndarray            # float32 months
    revenue: np.ndarray        # float64 M RMB a year
    revenue_year_start: np.ndarray
    growth_factor: np.ndarray  # float32 monthly revenue factor for the current year
    productivity: np.ndarray   # float32 M RMB per employee
    employees: np.ndarray      # float32
    rd_propensity: np.ndarray  # float32 own R&D intensity (0: does no R&D)
    rd_real: np.ndarray        # float32 real R&D intensity
    rd_reported: np.ndarray    # float32 reported R&D intensity
    tech_share: np.ndarray     # float32 tech staff share
    hightech_share: np.ndarray  # float32 high-tech product revenue share
    capability: np.ndarray     # float32 technology transfer + R&D management points (0–50)
    growth_pts: np.ndarray     # float32 innovation-score growth points, from last year's growth
    relabeller: np.ndarray     # bool: would relabel R&D to reach a threshold
    hightech_industry: np.ndarray  # bool
    strategic_emerging: np.ndarray  # bool
    industry: np.ndarray       # int8 industry (0..N_INDUSTRIES-1), within the firm's sector group
    rd_centre: np.ndarray      # bool: hosts one of its zone's enterprise R&D centres (企业研发机构)
    revenue_ago2: np.ndarray   # float64 revenue at the start of last year (for 3-year growth)
    revenue_ago3: np.ndarray   # float64 revenue at the start of the year before last
    inventions: np.ndarray     # float32 invention patents held
    other_ip: np.ndarray       # float32 other IP rights
    hte: np.ndarray            # bool: holds a valid certificate
    hte_expiry: np.ndarray     # int16 month index the certificate ends (0: none)
    hte_ever: np.ndarray       # bool: has been certified before (re-certification award)
    tech_sme: np.ndarray       # bool: on this year's list
    tenant: np.ndarray         # bool: in an incubator
    tenancy: np.ndarray        # int16 months in incubation
    voucher_intensity: np.ndarray  # float32 voucher RMB / revenue this year
    prepared: np.ndarray       # bool: prepared for certification this year, applies at the next round
    exit_month: np.ndarray     # float32 monthly exit probability, set each January and at entry
    patent_rate: np.ndarray    # float32 expected invention patents per month per M RMB of revenue
    next_free: np.ndarray      # (runs,) first unused slot


    def grow(self, width: int) -> None:
        """Widen every (runs, slots) array to `width` slots; new slots are empty (not alive, all zero)."""
        for name, arr in vars(self).items():
            if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.shape[1] < width:
                wide = np.zeros((arr.shape[0], width), dtype=arr.dtype)
                wide[:, : arr.shape[1]] = arr
                setattr(self, name, wide)


@dataclass
class Incubators:
    alive: np.ndarray          # bool (runs, slots)
    zone: np.ndarray           # int16
    maker_space: np.ndarray    # bool: maker space (众创空间) rather than incubator
    level: np.ndarray          # int8: 1 municipal, 2 provincial, 3 national
    area: np.ndarray           # float32 m²
    months: np.ndarray         # int16 months running
    area_draw: np.ndarray      # float32 lognormal factor for the area of a new one in this slot
    next_free: np.ndarray


@dataclass
class State:
    firms: Firms
    incubators: Incubators
    institutions: np.ndarray   # int64 (runs, zones, INST_TYPES, 2 levels: municipal, provincial+)
    zone_level: np.ndarray     # int8 (runs, zones)
    zone_pending: np.ndarray   # bool (runs, zones): an upgrade decision is under review
    zone_population: np.ndarray  # float64 (runs, zones)
    refs: dict[str, np.ndarray]  # readiness references per run
    quantities: dict[str, np.ndarray]
    params: dict[str, np.ndarray]
    hte_apply_year: np.ndarray   # (runs,) yearly application probability (calibrated or prior)
    rd_gamma: np.ndarray         # (runs,) size elasticity of R&D intensity from the base-year calibration
    base_rd_to_gdp: np.ndarray   # (runs,) base-year R&D / GDP the population reaches (= the scenario's unless capped)
    calibration_gap: np.ndarray  # (runs,) base-year certifications the eligible pool could not supply
    prepare_year: np.ndarray = None  # (runs,) yearly chance a near-eligible firm prepares
    capability_shift: np.ndarray = None  # (runs, 2) capability shift from the base-year calibration: official
    #                                      zones, the rest of the region (sim.model.population.initial_state)
    industry_mix: np.ndarray = None  # (runs, zones, 4) chance a firm of each sector group is in its first industry
    patent_k_factor: np.ndarray = None  # (runs,) scaling of patent_k by the base-year applications calibration
    rd_level_scale: np.ndarray = None  # (runs,) scaling of all R&D intensities when the size decline is not enough
    tenant_gap: np.ndarray = None  # (runs,) base-year incubator tenants the young, small firms of the official
    #                                zones could not supply (sim.model.population._assign_tenants)
