"""Priors: a quantity as a fixed value or a scipy distribution with its provenance and vintage, and the default
behavioural priors of sim/data/priors.yaml (each with its source or marked an assumption)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from sim.input.fields import frozen_dist as _frozen_dist

_PROVENANCE = ("source", "assumed", "note", "vintage")


def frozen_dist(spec: Mapping[str, Any]) -> Any:
    """The scipy frozen distribution a validated `{dist: ..., args}` mapping names."""
    from sim.input.fields import dist_arg_names

    name = spec["dist"]
    return _frozen_dist(name, tuple((k, spec[k]) for k in dist_arg_names(name) if k in spec))


@dataclass(frozen=True)
class Prior:
    """A validated quantity: fixed value or scipy distribution, with its provenance."""

    value: float | None
    dist: tuple[tuple[str, Any], ...] | None  # frozen mapping for picklability and hashing
    source: str
    assumed: bool
    note: str
    vintage: int | None = None  # the latest year of the information the value rests on

    @classmethod
    def from_yaml(cls, raw: Any) -> Prior:
        if not isinstance(raw, Mapping):
            return cls(float(raw), None, "", False, "")
        dist = tuple(sorted((k, v) for k, v in raw.items() if k not in ("value", *_PROVENANCE))) or None
        value = float(raw["value"]) if "value" in raw else None
        vintage = raw.get("vintage")
        return cls(value, dist, str(raw.get("source", "")), bool(raw.get("assumed", False)),
                   str(raw.get("note", "")), int(vintage) if isinstance(vintage, int) else None)

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values for uniforms `u` by inverse CDF, so two scenarios sharing `u` share their parameter draws."""
        if self.dist is None:
            return np.full(np.shape(u), self.value, dtype=float)
        return np.asarray(frozen_dist(dict(self.dist)).ppf(u), dtype=float)

    def bounds(self) -> tuple[float, float]:
        if self.dist is None:
            return float(self.value), float(self.value)  # type: ignore[arg-type]
        lo, hi = frozen_dist(dict(self.dist)).ppf([0.0, 1.0])
        return float(lo), float(hi)

    def quantiles(self, *q: float) -> tuple[float, ...]:
        """Quantiles of the prior (its value at every q when fixed)."""
        if self.dist is None:
            return tuple(float(self.value) for _ in q)  # type: ignore[arg-type]
        return tuple(float(x) for x in frozen_dist(dict(self.dist)).ppf(list(q)))

    def describe(self) -> str:
        if self.dist is None:
            return f"{self.value:g}"
        d = dict(self.dist)
        args = ", ".join(f"{k}={v:g}" for k, v in d.items() if k != "dist")
        return f"{d['dist']}({args})"


@cache
def default_priors() -> dict[str, Prior]:
    """The package's default priors (sim/data/priors.yaml), each with its source or marked assumed and its
    vintage; validated like a scenario's quantities. Raises ScenarioError naming a bad entry."""
    from pydantic import TypeAdapter, ValidationError

    from sim.errors import ScenarioError
    from sim.input.fields import quantity
    from sim.input.problems import problems_from_adapter
    from sim.input.yamlio import loads_yaml

    text = resources.files("sim").joinpath("data/priors.yaml").read_text(encoding="utf-8")
    doc = loads_yaml(text, file="sim/data/priors.yaml")
    adapter = TypeAdapter(dict[str, quantity(None, None)])
    try:
        adapter.validate_python(doc.data)
    except ValidationError as err:
        raise ScenarioError(problems_from_adapter(err, doc, adapter)) from None
    return {name: Prior.from_yaml(raw) for name, raw in doc.data.items()}


#: How far an override may stray from its default prior's central 99.8% range: beyond ten times it, a value
#: is a typo or a unit slip (1e7 teams per maker space), not a belief [assumption].
OVERRIDE_SPAN = 10.0


def parameter_bounds(prior: Prior) -> tuple[float | None, float | None]:
    """An override must stay in the kind of range its default lives in: a share or probability in [0, 1]; a
    rate or count from 0 to ten times its default's 99.9% quantile; a parameter whose default can be negative
    within ten times its default's quantiles on either side."""
    lo, hi = prior.bounds()
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    q_lo, q_hi = prior.quantiles(0.001, 0.999)
    top = OVERRIDE_SPAN * max(abs(q_hi), abs(q_lo), 1e-9)
    return (0.0, top) if lo >= 0 else (-top, top)
