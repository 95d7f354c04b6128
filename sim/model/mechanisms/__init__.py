"""The model's mechanisms, one module each. Every module says which parameters (priors) and state it owns and
which named random streams it draws (`PARAMETERS`, `STATE`, `STREAMS`), and exposes functions of the batch
(`sim.model.engine.BatchSim`) that the calendar (`sim.model.calendar`) calls at fixed moments. The pure
formulas they use are in `sim.model.rules`.
"""

from sim.model.mechanisms import (
    certification,
    clusters,
    contracts,
    entry,
    exit,
    fiscal,
    gazelles,
    growth,
    incubation,
    major_projects,
    organisations,
    patents,
    rd,
    tech_sme,
    zones,
)

#: Every mechanism module, in the order the monthly step runs them (see sim.model.calendar).
ALL = (growth, rd, certification, patents, major_projects, entry, exit, incubation, organisations, tech_sme, zones,
       gazelles, clusters, contracts, fiscal)
