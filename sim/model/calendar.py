"""The calendar: what runs when, as data. simpy owns time; this module says which mechanism steps run at which
moment of which months, in which order, so that a run's loop can be read (and printed: `zonesim calendar FILE`)
without reading the engine.

Month m (1 = January after the base year) has fixed moments, so that events of the same month always happen in
the same order:

    m + 0.0   levers start or stop (their windows)
    m + 0.1   deliveries: incubators built, payments and decisions that were waiting (construction, reviews)
    m + 0.2   January steps (January only), then the monthly steps
    m + 0.5   HTE certification round (the scenario's round months)
    m + 0.55  technology-based SME listing (yearly)
    m + 0.6   zone upgrade and creation applications (yearly)
    m + 0.9   statistical year end (December) and dated-target snapshots: year-end steps, then the record

A step is a function of the batch (`sim.model.engine.BatchSim`), or of the batch and the month, defined in a
mechanism module (`sim.model.mechanisms`) or standing for the lever hooks of that name (`sim.model.levers`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.model.mechanisms import (
    certification,
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

if TYPE_CHECKING:
    from sim.input.scenario import Scenario
    from sim.model.engine import BatchSim


@dataclass(frozen=True)
class Step:
    """One step of the calendar: `name` (module.function), the function, and whether it takes the month."""

    name: str
    run: Callable[..., None]
    with_month: bool = False

    def __call__(self, sim: BatchSim, m: int) -> None:
        if self.with_month:
            self.run(sim, m)
        else:
            self.run(sim)

    @property
    def doc(self) -> str:
        """The first sentence of the step's docstring."""
        text = " ".join((self.run.__doc__ or "").split())
        first = text.split(". ")[0].rstrip(".")
        return first if len(first) <= 110 else first[:first.rfind(" ", 0, 108)] + " …"


def _step(fn: Callable[..., None], with_month: bool = False) -> Step:
    return Step(f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}", fn, with_month)


def lever_hooks(name: str) -> Step:
    """A step that calls every active lever's hook `name` with (sim, lever, month)."""

    def call(sim: BatchSim, m: int) -> None:
        for lever, hook in sim.levers.each(name):
            hook(sim, lever, m)

    call.__doc__ = f"Levers with a '{name}' hook act (innovation vouchers, gazelle grants)."
    return Step(f"levers.{name}", call, with_month=True)


#: Before the first month: the base year's state finished, in this order.
START = (
    _step(rd.decide), _step(exit.set_hazard), _step(patents.set_rate), _step(patents.calibrate_k),
    _step(organisations.drivers), _step(certification.check_calibration), _step(tech_sme.listing),
    _step(patents.base_year), _step(contracts.base_year), _step(fiscal.base_year),
    _step(organisations.attach_centres),
)
#: Each January at m + 0.2, before the monthly steps.
JANUARY = (
    _step(gazelles.january), _step(growth.year_start, True), _step(rd.year_start), lever_hooks("january"),
    _step(certification.learn), _step(certification.prepare), _step(certification.prepare_renewal, True),
    _step(rd.decide), _step(organisations.drivers),
    _step(growth.draw_year), _step(exit.set_hazard), _step(patents.set_rate), _step(patents.other_ip),
    _step(major_projects.january),
)
#: Every month at m + 0.2.
MONTHLY = (
    _step(entry.monthly), _step(exit.monthly), _step(growth.monthly), _step(patents.monthly),
    _step(incubation.tenancy), _step(certification.lapse, True), _step(incubation.formation, True),
    _step(organisations.formation), _step(rd.monthly),
)
ROUND = (_step(certification.application_round, True),)
LISTING = (_step(tech_sme.listing),)
APPLICATIONS = (_step(zones.applications, True),)
#: Steps that run only in the months of the year the scenario's calendar chooses, in their order within a month.
CHOSEN_MONTHS = (("hte_rounds", ROUND), ("tech_sme_listing_month", LISTING),
                 ("upgrade_application_month", APPLICATIONS))
#: Each December at m + 0.9, before the record.
YEAR_END = (
    _step(incubation.recognition), _step(organisations.recognition), _step(organisations.attach_centres),
    _step(contracts.year_end), _step(fiscal.year_end),
)


@dataclass(frozen=True)
class Moment:
    """A moment of the month: its offset, which months of the year it fires in, and its steps."""

    offset: float
    months: str
    steps: tuple[Step, ...]


def plan(scenario: Scenario) -> list[Moment]:
    """The calendar of `scenario` as data: every moment with its months (names of months of the year) and steps,
    in the order they run within a month."""
    rounds = ", ".join(f"month {r}" for r in scenario.cal("hte_rounds"))
    return [
        Moment(0.0, "any (lever windows)", ()),
        Moment(0.1, "any (deliveries)", ()),
        Moment(0.2, "January", JANUARY),
        Moment(0.2, "every month", MONTHLY),
        Moment(0.5, rounds, ROUND),
        Moment(0.55, f"month {scenario.cal('tech_sme_listing_month')}", LISTING),
        Moment(0.6, f"month {scenario.cal('upgrade_application_month')}", APPLICATIONS),
        Moment(0.9, "December", YEAR_END),
    ]


def table(scenario: Scenario) -> list[tuple[str, str, str, str]]:
    """(moment, months, step, what it does) rows of the calendar, the start first."""
    rows = [("start", "base year end", s.name, s.doc) for s in START]
    for mo in plan(scenario):
        if not mo.steps:
            rows.append((f"m+{mo.offset:g}", mo.months, "-", "levers start/stop" if mo.offset == 0 else
                         "waiting actions (construction, reviews, deferred payments)"))
        rows += [(f"m+{mo.offset:g}", mo.months, s.name, s.doc) for s in mo.steps]
    rows.append(("m+0.9", "December and dated targets", "record", "the per-zone sums of sim.model.fields"))
    return rows


def format_table(scenario: Scenario) -> str:
    """The calendar table as text: moment, months, step, what it does (the first sentence of its docstring)."""
    from sim.model.levers import KINDS

    rows = table(scenario)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"Calendar of {scenario.id} ({scenario.base_year} → {scenario.end_year}), month m = 1 is January "
             f"{scenario.base_year + 1}; steps run in this order within a moment", ""]
    lines += ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    hooks = sorted({name for m in KINDS.values() for name in dir(m) if name in HOOKS})
    lines += ["", "lever hooks (called by the steps above for each active lever whose kind defines them): "
              + ", ".join(f"{h} ({', '.join(k for k, m in KINDS.items() if hasattr(m, h))})" for h in hooks)]
    from sim.model.mechanisms import ALL

    lines.append("named random streams: " + "; ".join(f"{m.__name__.rsplit('.', 1)[-1]}: {', '.join(m.STREAMS)}"
                                                     for m in ALL if m.STREAMS) + "; each lever: lever:<id>")
    levers = ", ".join(f"{p.id} ({p.kind})" for p in scenario.policies) or "none"
    lines.append(f"this scenario's levers: {levers}")
    return "\n".join(lines)


#: Every hook name a mechanism or the calendar calls on lever kinds (sim.model.levers.base lists them).
HOOKS = ("preparation_award", "application_award", "on_certified", "enrol", "rd_subsidy_rate", "pay_monthly",
         "january", "growth_boost", "formation_boost", "on_built", "on_recognised", "founding_award", "on_founded")


def month_of_year(m: int) -> int:
    """1..12 for month index m (1 = January after the base year)."""
    return (m - 1) % 12 + 1


def open_windows(sim: BatchSim, m: int) -> None:
    """Set which levers are active in month m, as the window processes of `schedule` do at m + 0.0 (for
    stepping a batch by hand, in a notebook or a test, without the simpy environment)."""
    for i, (first, last) in enumerate(sim.lever_windows()):
        sim.ledger.active[i] = first <= m <= last


def month(sim: BatchSim, m: int) -> None:
    """The m + 0.2 moment of month m: the January steps (in January), then the monthly steps."""
    if month_of_year(m) == 1:
        for s in JANUARY:
            s(sim, m)
    for s in MONTHLY:
        s(sim, m)
    sim.count_month()


def year_end(sim: BatchSim, m: int) -> None:
    """The m + 0.9 moment: the year-end steps in December, then the record (flows close at the year end)."""
    closing = month_of_year(m) == 12
    if closing:
        for s in YEAR_END:
            s(sim, m)
    sim.record(m, take_flows=closing)


def chosen_months(scenario: Scenario, key: str) -> tuple[int, ...]:
    """The months of the year (1–12) the calendar key `key` chooses (one month or several)."""
    chosen = scenario.cal(key)
    return tuple(chosen) if isinstance(chosen, (tuple, list)) else (chosen,)


def run_months(sim: BatchSim, first: int, last: int) -> BatchSim:
    """Run months `first`..`last` (1 = January after the base year) of a batch by hand, every moment in the
    order `schedule` puts it on the simpy environment — lever windows, deliveries, the month's steps,
    certification rounds, the technology-based SME listing, upgrade applications, the year end and the
    record — for a notebook or a test that watches a mechanism month by month. Running months 1..n by hand
    leaves the batch's state and snapshots as `BatchSim.run` would at month n. Months run in order, each once:
    `first` must be the month after the last one run (1 on a new batch) and `last` at most the scenario's
    last month, else ValueError."""
    sc = sim.sc
    done = int(round(sim.env.now - 0.15)) if sim.env.now > 0 else 0  # the last month run by hand (0: none)
    if first != done + 1 or not first <= last <= sc.months:
        raise ValueError(f"months {first}..{last}: run months in order, each once, from month {done + 1} "
                         f"(the month after the last one run) up to {sc.months}, the scenario's last month")
    for m in range(first, last + 1):
        moy = month_of_year(m)
        open_windows(sim, m)
        sim.env.run(until=m + 0.15)  # deliveries that `after` scheduled for this month (m + 0.1)
        month(sim, m)
        for key, steps in CHOSEN_MONTHS:
            if moy in chosen_months(sc, key):
                for s in steps:
                    s(sim, m)
        if m in sim.snap_index:
            year_end(sim, m)
    return sim


def schedule(sim: BatchSim, record_months: list[int]) -> None:
    """Put the whole run on the batch's simpy environment: lever windows, the monthly and yearly moments and the
    snapshots (at `record_months`)."""
    env, sc = sim.env, sim.sc
    months = range(1, sc.months + 1)
    for i, (first, last) in enumerate(sim.lever_windows()):
        env.process(_window(sim, i, first, last))
    env.process(_at(env, months, 0.2, lambda m: month(sim, m)))
    for offset, (key, steps) in zip((0.5, 0.55, 0.6), CHOSEN_MONTHS, strict=True):
        chosen = chosen_months(sc, key)
        env.process(_at(env, [m for m in months if month_of_year(m) in chosen], offset,
                        lambda m, steps=steps: [s(sim, m) for s in steps]))
    env.process(_at(env, record_months, 0.9, lambda m: year_end(sim, m)))


def _at(env: Any, months: Any, offset: float, action: Callable[[int], Any]) -> Any:
    for m in months:
        yield env.timeout(m + offset - env.now)
        action(m)


def _window(sim: BatchSim, i: int, first: int, last: int) -> Any:
    if first > last:
        return
    yield sim.env.timeout(first - sim.env.now)
    sim.ledger.active[i] = True
    yield sim.env.timeout(last + 1 - sim.env.now)
    sim.ledger.active[i] = False
