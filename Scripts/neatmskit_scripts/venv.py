#!/usr/bin/env python3
"""The Python environments of Scripts/: `.build/venv-<name>`, made from `Scripts/requirements/<name>.txt`.

    python3 Scripts/neatmskit_scripts/venv.py NAME     # make or reuse .build/venv-NAME; print its python

A venv is reused while its requirements are unchanged: the venv holds the SHA-256 of the file's
requirement lines (comments and blank lines left out, `-r` includes expanded) in `.requirements.sha256`,
and is made again from scratch when that differs or an earlier install was interrupted. Every requirement
is an exact `==` pin. A line ending in `# no-deps` is installed in a second step with `pip --no-deps`
(NeatMS 0.9 declares unpinned dependencies, such as `tensorflow` and `keras`, that its pinned
environment must not pull in). PYTHON picks the interpreter the venv is made from (default: the one
running this file). Only the standard library is used here, so any Python 3 can run it.

From a script: `use("neatms")` at the top re-runs the script with .build/venv-neatms's python (made
first when needed) unless it already runs there; NEATMSKIT_SCRIPTS_NO_VENV=1 keeps the current python.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "Scripts" / "requirements"
NO_DEPS = re.compile(r"\s+#\s*no-deps\s*$")


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of `path` with `-r` includes expanded; a kept `# no-deps` marker."""
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("-r "):
            lines += requirement_lines(path.parent / line[3:].strip())
            continue
        if not line or line.startswith("#"):
            continue
        no_deps = bool(NO_DEPS.search(line))
        line = line.split("#", 1)[0].strip()
        if "==" not in line:
            raise SystemExit(f"{path}: `{line}` is not pinned with ==")
        lines.append(line + ("  # no-deps" if no_deps else ""))
    return lines


def location(name: str) -> Path:
    return REPO / ".build" / f"venv-{name}"


def ensure(name: str) -> Path:
    """Makes (or reuses) .build/venv-<name> from Scripts/requirements/<name>.txt; returns its python."""
    requirements = REQUIREMENTS / f"{name}.txt"
    if not requirements.is_file():
        raise SystemExit(f"venv.py: no requirements file {requirements.relative_to(REPO)}")
    lines = requirement_lines(requirements)
    key = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    venv = location(name)
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f"venv-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two scripts that need the same venv: one makes it
        if python.exists() and stamp.exists() and stamp.read_text().strip() == key:
            return python
        print(f"== making .build/venv-{name} from Scripts/requirements/{name}.txt (pip install, "
              "a few minutes)", file=sys.stderr)
        shutil.rmtree(venv, ignore_errors=True)
        base = os.environ.get("PYTHON") or sys.executable
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
        with_deps = [l for l in lines if not l.endswith("# no-deps")]
        without = [l.split("#", 1)[0].strip() for l in lines if l.endswith("# no-deps")]
        for options, group in (([], with_deps), (["--no-deps"], without)):
            if not group:
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
                file.write("\n".join(group) + "\n")
                file.flush()
                subprocess.run([str(python), "-m", "pip", "install", "--quiet", *options, "-r", file.name],
                               check=True, env=env)
        stamp.write_text(key + "\n")  # last: an interrupted install is redone next time
    return python


def use(name: str, *also: str) -> None:
    """Re-runs the calling script in .build/venv-<name> unless it already runs in that venv or in one of
    `also` (venvs whose pins include what the script needs)."""
    if os.environ.get("NEATMSKIT_SCRIPTS_NO_VENV"):
        return
    here = Path(sys.prefix).resolve()
    if any(here == location(n).resolve() for n in (name, *also)):
        return
    python = ensure(name)
    os.execv(str(python), [str(python), sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        raise SystemExit(__doc__)
    print(ensure(sys.argv[1]))
