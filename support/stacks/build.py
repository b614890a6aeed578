"""`make images`: build the stack's images that this content lacks, and print each one's reference and size."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from support.stacks.engine import connect
from support.stacks.images import DOCKER_DIR, IMAGES, LOCAL_BASE, ensure_images, image_ref


def main() -> int:
    """Build what is missing; report every image and the time it took."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default=LOCAL_BASE, help=f"base image (default {LOCAL_BASE}, made with debootstrap)")
    parser.add_argument("--log", type=Path, default=DOCKER_DIR / "build.log")
    args = parser.parse_args()
    started = time.monotonic()
    built = ensure_images(args.base, Path(sys.executable), args.log)
    client = connect()
    try:
        for spec in IMAGES:
            reference = image_ref(spec, args.base)
            size_mb = client.images.get(reference).attrs["Size"] / 1e6
            print(f"{reference}  {size_mb:.0f} MB  {'built' if reference in built else 'up to date'}")
    finally:
        client.close()
    print(f"took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
