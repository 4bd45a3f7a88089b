"""Shared fixtures: small practices built in a temporary folder. Everything runs offline."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clinicops.home import Home
from clinicops.settings import configure_offline

configure_offline()
os.environ.setdefault("PREFECT_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), "clinicops-test-prefect"))


@pytest.fixture(scope="session")
def demo_practice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, str, int]:
    """The README's demo, generated and run once per test session: (home, what it printed, exit status).
    Tests read it; a test that changes the warehouse works on a copy."""
    root = tmp_path_factory.mktemp("demo")
    done = subprocess.run([sys.executable, "-m", "clinicops.cli", "demo", "--home", str(root)],
                          capture_output=True, text=True, timeout=600)
    return Home(root), done.stdout + done.stderr, done.returncode
