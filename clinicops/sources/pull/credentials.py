"""Review-site credentials: from the environment, or a Prefect Secret block whose name the environment gives.

Never from clinicops.toml. A site is pulled only when one of its two variables is set, so with none set
nothing calls out at all (not even to Prefect for a block).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from clinicops.sources.pull.http import PullError


@dataclass(frozen=True)
class Credential:
    variable: str  # the environment variable that holds it
    kind: str  # what it is, in a user's words

    @property
    def block_variable(self) -> str:
        """The variable that names a Prefect Secret block holding it instead."""
        return f"{self.variable}_BLOCK"

    @property
    def described(self) -> str:
        return f"{self.kind} ({self.variable})"


CREDENTIALS = {
    "yelp": Credential("CLINICOPS_YELP_API_KEY", "Yelp API key"),
    "google": Credential("CLINICOPS_GOOGLE_API_KEY", "Google API key"),
    "google_business_profile": Credential("CLINICOPS_GOOGLE_BUSINESS_PROFILE_TOKEN", "Business Profile OAuth token"),
}


def has_credential(site: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether the site's key (or the name of a Secret block holding it) is set; calls nothing."""
    env = os.environ if env is None else env
    credential = CREDENTIALS[site]
    return bool(env.get(credential.variable, "").strip() or env.get(credential.block_variable, "").strip())


def load_credential(site: str, env: Mapping[str, str] | None = None) -> str:
    """The site's key: the environment variable, else the Prefect Secret block it names; PullError if neither."""
    env = os.environ if env is None else env
    credential = CREDENTIALS[site]
    value = env.get(credential.variable, "").strip()
    if value:
        return value
    block = env.get(credential.block_variable, "").strip()
    if not block:
        raise PullError(f"{site}: no {credential.described} is set", site_wide=True)
    try:
        from prefect.blocks.system import Secret

        secret = Secret.load(block).get()
    except Exception as e:  # noqa: BLE001 - a missing or unreadable block fails this site only
        raise PullError(f"{site}: the Prefect Secret block {block!r} named by {credential.block_variable} could not "
                        f"be loaded ({type(e).__name__})", site_wide=True) from None
    text = secret if isinstance(secret, str) else str(secret or "")
    if not text.strip():
        raise PullError(f"{site}: the Prefect Secret block {block!r} named by {credential.block_variable} is empty",
                        site_wide=True)
    return text.strip()
