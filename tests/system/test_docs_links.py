"""The docs are self-contained and navigable: every link inside docs/ and the README points to a heading or a
file of the project (GitHub's heading anchors), and nothing points outside it (../shared)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (CJK kept), spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return {anchor(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_resolves_inside_the_project(doc):
    text = doc.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert "../shared" not in target, target
        path, _, frag = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), f"{doc.name}: link to a missing file {target}"
        if frag and file.suffix == ".md":
            assert frag in headings(file), f"{doc.name}: no heading #{frag} in {file.name}"
