"""The reliability section of a per-hardware profile: how long, how many, and which bounds."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PROFILE = Path("profiles/reliability/cpu-2core.yaml")


class Profile:
    """Read access to `reliability:` in a profile file, failing loudly on a missing key."""

    def __init__(self, values: dict[str, Any], source: Path) -> None:
        self.values = values
        self.source = source

    def __call__(self, *keys: str) -> Any:
        """The value under the keys, e.g. profile("soak", "short", "concurrency")."""
        value: Any = self.values
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                raise KeyError(f"{self.source} has no reliability.{'.'.join(keys)}")
            value = value[key]
        return value


def load_profile(path: Path) -> Profile:
    """The profile's reliability section."""
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return Profile(loaded.get("reliability", {}), path)


def profile_from_userdata(userdata: Mapping[str, str]) -> Profile:
    """The profile named by -D reliability_profile (relative to the repository), else the 2-core CPU one."""
    path = Path(userdata.get("reliability_profile", str(DEFAULT_PROFILE)))
    return load_profile(path if path.is_absolute() else REPO_ROOT / path)
