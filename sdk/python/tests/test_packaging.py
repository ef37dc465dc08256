"""`python -m build` makes an sdist and a wheel with the typed package and no runtime dependency."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_build_sdist_and_wheel(tmp_path):
    pytest.importorskip("build")  # in the dev extra; `make test` installs it
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(tmp_path.glob("agent_observability-*-py3-none-any.whl"))
    sdists = list(tmp_path.glob("agent_observability-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1

    with zipfile.ZipFile(wheels[0]) as whl:
        names = set(whl.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = whl.read(meta_name).decode()
    for module in ("__init__", "client", "decorators", "context", "models", "transport", "serialize",
                   "integrations/openai", "integrations/langchain"):
        assert "agent_observability/%s.py" % module in names
    assert "agent_observability/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)
    assert "Name: agent-observability" in meta and "Requires-Python: >=3.9" in meta
    from agent_observability import __version__

    assert "Version: %s\n" % __version__ in meta, "pyproject.toml and _version.py disagree"
    requires = [line for line in meta.splitlines() if line.startswith("Requires-Dist:")]
    assert requires and all("extra ==" in line for line in requires), requires  # stdlib only

    with tarfile.open(sdists[0]) as sd:
        members = {m.split("/", 1)[1] for m in sd.getnames() if "/" in m}
    assert {"pyproject.toml", "README.md", "agent_observability/py.typed", "examples/basic.py"} <= members
