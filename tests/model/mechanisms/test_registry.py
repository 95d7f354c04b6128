"""The mechanism registry (sim.model.mechanisms, its `ALL`): every mechanism module of the package is registered
once, and each names only streams of its own."""

from __future__ import annotations

import pkgutil

import sim.model.mechanisms as package
from sim.model.mechanisms import ALL


def test_every_mechanism_module_is_registered_once():
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    names = [m.__name__.rsplit(".", 1)[-1] for m in ALL]
    assert len(names) == len(set(names)) == 15
    assert set(names) == modules


def test_each_stream_belongs_to_one_mechanism_and_carries_its_name():
    seen: dict[str, str] = {}
    for m in ALL:
        name = m.__name__.rsplit(".", 1)[-1]
        for stream in m.STREAMS:
            assert stream not in seen, f"{stream}: drawn by {seen.get(stream)} and {name}"
            seen[stream] = name
            assert stream.split(".")[0] == name, f"{name} draws another mechanism's stream {stream}"
