"""The user guide's tutorial (docs/user-guide.md §7) works as written: every command in a block marked
`<!-- tutorial -->` is run, in order, in a fresh folder holding docs/tutorial/ (with fewer runs, to stay fast)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys

from tests.conftest import ROOT

GUIDE = ROOT / "docs" / "user-guide.md"


def tutorial_commands() -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"<!-- tutorial -->\s*```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_tutorial_has_its_commands():
    cmds = tutorial_commands()
    assert any(c.startswith("zonesim new") for c in cmds)
    assert any(c.startswith("zonesim run") for c in cmds) and any(c.startswith("zonesim compare") for c in cmds)


def test_every_tutorial_command_runs(tmp_path):
    shutil.copytree(ROOT / "docs" / "tutorial", tmp_path / "docs" / "tutorial")
    for line in tutorial_commands():
        for cmd in line.split("&&"):
            args = shlex.split(cmd)
            if args[0] == "zonesim":
                args = [sys.executable, "-m", "sim", *args[1:]]
                if "--runs" in args:
                    args[args.index("--runs") + 1] = "8"
                if args[3] in ("run", "compare"):  # charts are tested in tests/report; here the commands
                    args += ["--quiet", "--no-plots"]
            proc = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=600)
            assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    assert (tmp_path / "results" / "jiangzhou" / "summary.csv").is_file()
    assert (tmp_path / "results" / "jiangzhou-levers" / "compare.csv").is_file()
    assert (tmp_path / "my_plan" / "jiangzhou_2026.yaml").is_file()
