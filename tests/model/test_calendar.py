"""The calendar (sim.model.calendar) and the mechanism modules it runs: every step is a declared mechanism's,
every stream a mechanism draws is declared, every lever hook is one a mechanism calls."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from sim.input.priors import default_priors
from sim.model import calendar
from sim.model.engine import BatchSim
from sim.model.levers import KINDS
from sim.model.mechanisms import ALL


def test_every_step_belongs_to_a_mechanism_module_or_is_a_lever_hook():
    modules = {m.__name__.rsplit(".", 1)[-1] for m in ALL}
    steps = calendar.START + calendar.JANUARY + calendar.MONTHLY + calendar.ROUND + calendar.LISTING \
        + calendar.APPLICATIONS + calendar.YEAR_END
    for step in steps:
        module, _, func = step.name.partition(".")
        assert module in modules or (module == "levers" and func in calendar.HOOKS), step.name


def test_every_mechanism_declares_its_parameters_state_and_streams():
    priors = default_priors()
    for m in ALL:
        for attr in ("PARAMETERS", "STATE", "STREAMS"):
            assert isinstance(getattr(m, attr), tuple), (m.__name__, attr)
        unknown = [p for p in m.PARAMETERS if p not in priors]
        assert not unknown, (m.__name__, unknown)
        assert m.__doc__, m.__name__


def test_every_parameter_of_the_priors_is_owned_by_a_mechanism_or_a_lever():
    owned = {p for m in ALL for p in m.PARAMETERS}
    source = "\n".join(inspect.getsource(m) for m in (*ALL, *KINDS.values()))
    population = inspect.getsource(__import__("sim.model.population", fromlist=["x"]))
    orphans = [p for p in default_priors() if p not in owned and f'"{p}"' not in source + population]
    assert not orphans, f"priors no module reads: {orphans}"


def test_the_streams_drawn_are_the_declared_ones(tiny):
    sim = BatchSim(tiny, 0, np.arange(2))
    sim.run()
    declared = {s for m in ALL for s in m.STREAMS} | {f"lever:{p.id}" for p in tiny.policies}
    drawn = set(sim.streams.names())
    assert drawn <= declared, f"undeclared streams: {drawn - declared}"
    assert {"exit", "entry", "growth", "certification.apply"} <= drawn


def test_lever_hooks_are_ones_the_mechanisms_call():
    for kind, module in KINDS.items():
        own = [n for n, f in vars(module).items() if inspect.isfunction(f) and f.__module__ == module.__name__
               and not n.startswith("_")]
        assert own, kind
        unknown = [n for n in own if n not in calendar.HOOKS]
        assert not unknown, f"{kind}: {unknown} is not a hook any mechanism calls (typo?)"


def test_the_table_lists_every_step_in_order(tiny):
    rows = calendar.table(tiny)
    names = [r[2] for r in rows]
    assert names.index("growth.year_start") < names.index("growth.draw_year") < names.index("entry.monthly")
    assert names.index("certification.application_round") > names.index("rd.monthly")
    assert names[-1] == "record"
    text = calendar.format_table(tiny)
    assert "lever:<id>" in text and tiny.policies[0].id in text


def test_stepping_by_hand_equals_the_simpy_calendar(tiny):
    """`calendar.run_months` runs what `schedule` runs: two years stepped by hand give the same snapshots, and so
    do the same months run in two pieces (a notebook stepping a year, looking, then going on)."""
    a = BatchSim(tiny, 5, np.arange(2), check_invariants=False)
    b = BatchSim(tiny, 5, np.arange(2), check_invariants=False)
    c = BatchSim(tiny, 5, np.arange(2), check_invariants=False)
    a.run()
    calendar.run_months(b, 1, 24)
    calendar.run_months(c, 1, 12)
    calendar.run_months(c, 13, 24)
    for m in (12, 24):
        np.testing.assert_array_equal(a.snapshots[:, a.snap_index[m]], b.snapshots[:, b.snap_index[m]])
        np.testing.assert_array_equal(a.snapshots[:, a.snap_index[m]], c.snapshots[:, c.snap_index[m]])


@pytest.mark.parametrize(("first", "last"), [(2, 3), (1, 0), (1, 10_000)])
def test_months_out_of_order_or_beyond_the_scenario_are_refused(tiny, first, last):
    b = BatchSim(tiny, 5, np.arange(1), check_invariants=False)
    with pytest.raises(ValueError, match="run months in order"):
        calendar.run_months(b, first, last)


def test_a_month_run_twice_is_refused_not_a_simpy_error(tiny):
    b = BatchSim(tiny, 5, np.arange(1), check_invariants=False)
    calendar.run_months(b, 1, 2)
    with pytest.raises(ValueError, match="from month 3"):
        calendar.run_months(b, 2, 2)
    calendar.run_months(b, 3, 3)


def test_months_of_the_year_cycle_from_january():
    assert [calendar.month_of_year(m) for m in (1, 2, 12, 13, 24, 25)] == [1, 2, 12, 1, 12, 1]


def test_the_plan_lists_the_moments_of_a_month_in_order(tiny):
    moments = calendar.plan(tiny)
    offsets = [mo.offset for mo in moments]
    assert offsets == sorted(offsets) and offsets[0] == 0.0 and offsets[-1] == 0.9
    assert next(mo for mo in moments if mo.offset == 0.5).months == "month 6, month 11"  # the rounds
    assert next(mo for mo in moments if mo.months == "every month").steps == calendar.MONTHLY
