"""Shared fixtures: small practices built in a temporary folder. Everything runs offline."""

from __future__ import annotations

import os

from clinicops.settings import configure_offline

configure_offline()
os.environ.setdefault("PREFECT_HOME", os.path.join(os.environ.get("TMPDIR", "/tmp"), "clinicops-test-prefect"))
