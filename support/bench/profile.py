"""Per-hardware thresholds for the performance features, read from profiles/<name>.yaml."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import yaml

PROFILES_DIR = Path(__file__).resolve().parents[2] / "profiles"


@dataclass(frozen=True)
class Profile:
    """What a machine of this kind is expected to reach; each bound says why it is set where it is in the YAML file."""

    name: str
    description: str
    concurrency: int
    ttft_p95_short_s: float
    gateway_decode_share: float
    gateway_ttft_added_ms: float
    first_token_share_max: float
    memory_max_mib: float
    generator_headroom: float


def load_profile(name: str) -> Profile:
    """A profile by name (profiles/<name>.yaml) or by path; every field must be there."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else PROFILES_DIR / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    names = [f.name for f in fields(Profile)]
    missing = [n for n in names if n not in data]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    return Profile(**{n: data[n] for n in names})
