"""The stack's images: the gateway (both engines), Prometheus and Alertmanager, built offline and tagged by content.

A tag is a digest of everything that goes into the image, so a changed gateway source or rule file gives a new tag
and the docker driver builds again; `latest` follows the last build for compose.yaml. `make images` runs
``python -m support.stacks.build``.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, ImageNotFound

from support.settings import DEFAULT_BASE_IMAGE
from support.stacks.engine import REPO_ROOT, connect

STACK_DIR = REPO_ROOT / "stack"
DOCKER_DIR = STACK_DIR / "docker"
WHEELS_DIR = DOCKER_DIR / "wheels"
BINARIES_DIR = DOCKER_DIR / "bin"
LIBRARIES_DIR = DOCKER_DIR / "lib"
SHARE_DIR = DOCKER_DIR / "share"
ALERTMANAGER_TEMPLATES = Path("/usr/share/prometheus/alertmanager")
"""Debian's Alertmanager reads its default notification templates from here, and will not start without them."""
LOCAL_BASE = DEFAULT_BASE_IMAGE
REPOSITORY = "mistralrs-suite"


@dataclass(frozen=True)
class ImageSpec:
    """One image: its Dockerfile and the paths (relative to stack/) its build context needs."""

    name: str
    dockerfile: str
    inputs: tuple[str, ...]

    def repository(self) -> str:
        """Where its tags live."""
        return f"{REPOSITORY}/{self.name}"


GATEWAY_IMAGE = ImageSpec("gateway", "docker/gateway.Dockerfile",
                          ("__init__.py", "gateway", "requirements.txt", "docker/healthcheck.py", "docker/wheels", "docker/lib"))
PROMETHEUS_IMAGE = ImageSpec("prometheus", "docker/prometheus.Dockerfile", (
    "docker/bin/prometheus", "docker/bin/promtool", "monitoring/prometheus.yml", "monitoring/rules", "docker/healthcheck.py"))
ALERTMANAGER_IMAGE = ImageSpec("alertmanager", "docker/alertmanager.Dockerfile", (
    "docker/bin/prometheus-alertmanager", "docker/bin/amtool", "docker/share/alertmanager", "monitoring/alertmanager.yml",
    "docker/healthcheck.py"))
IMAGES = (GATEWAY_IMAGE, PROMETHEUS_IMAGE, ALERTMANAGER_IMAGE)
BINARIES = ("prometheus", "promtool", "prometheus-alertmanager", "amtool")
LIBRARIES = ("libgomp.so.1",)
"""Shared libraries the llama-cpp-python wheel built here links against that slim bases lack (GNU OpenMP)."""


def _files(relative: str) -> Iterator[Path]:
    path = STACK_DIR / relative
    if path.is_file():
        yield path
        return
    for found in sorted(path.rglob("*")):
        if found.is_file() and "__pycache__" not in found.parts:
            yield found


def content_tag(spec: ImageSpec, base: str) -> str:
    """A digest of the base image's name, the Dockerfile and every input file's path and bytes."""
    digest = hashlib.sha256(base.encode())
    for relative in (spec.dockerfile, *spec.inputs):
        for path in _files(relative):
            digest.update(str(path.relative_to(STACK_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def image_ref(spec: ImageSpec, base: str) -> str:
    """The image's content-tagged reference."""
    return f"{spec.repository()}:{content_tag(spec, base)}"


def missing_images(client: docker.DockerClient, base: str) -> list[ImageSpec]:
    """The images whose content tag the engine does not hold."""
    missing = []
    for spec in IMAGES:
        try:
            client.images.get(image_ref(spec, base))
        except ImageNotFound:
            missing.append(spec)
    return missing


def prepare_inputs(python: Path) -> None:
    """The wheels for the gateway (from the suite's virtualenv's pip, which reuses its cache) and Debian's monitoring binaries."""
    # pip reuses the wheels already there and its cache: llama-cpp-python is never compiled again.
    WHEELS_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(WHEELS_DIR), "--find-links", str(WHEELS_DIR),
                    "-r", str(STACK_DIR / "requirements.txt")], check=True)
    BINARIES_DIR.mkdir(parents=True, exist_ok=True)
    for name in BINARIES:
        found = shutil.which(name)
        if found is None:
            raise SystemExit(f"{name} is not on PATH: make monitoring-tools installs Debian's Prometheus and Alertmanager")
        shutil.copy2(found, BINARIES_DIR / name)
    shutil.copytree(ALERTMANAGER_TEMPLATES, SHARE_DIR / "alertmanager", dirs_exist_ok=True)
    LIBRARIES_DIR.mkdir(parents=True, exist_ok=True)
    for library in LIBRARIES:
        shutil.copy2(shared_library(library), LIBRARIES_DIR / library)


def shared_library(name: str) -> Path:
    """Where the dynamic linker finds a library on this machine, from its cache."""
    cache = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for line in cache.splitlines():
        if line.strip().startswith(f"{name} "):
            return Path(line.rsplit("=>", 1)[1].strip())
    raise SystemExit(f"{name} is not installed here; the gateway's llama.cpp needs it (apt-get install libgomp1)")


def _context(spec: ImageSpec) -> io.BufferedRandom:
    """A tar of only what the Dockerfile copies, so the monitoring images never upload the wheels."""
    archive = tempfile.TemporaryFile()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.add(STACK_DIR / spec.dockerfile, arcname="Dockerfile")
        for relative in spec.inputs:
            for path in _files(relative):
                tar.add(path, arcname=str(path.relative_to(STACK_DIR)), recursive=False)
    archive.seek(0)
    return archive


def build(client: docker.DockerClient, spec: ImageSpec, base: str, log: Path) -> str:
    """Build one image, tag it by content and as latest, and return the content tag's reference."""
    reference = image_ref(spec, base)
    with _context(spec) as context, log.open("a") as out:
        out.write(f"== {reference} (base {base})\n")
        for chunk in client.api.build(fileobj=context, custom_context=True, tag=reference, buildargs={"BASE_IMAGE": base},
                                      rm=True, forcerm=True, decode=True):
            if "error" in chunk:
                raise RuntimeError(f"building {reference} failed: {chunk['error']} (log: {log})")
            out.write(str(chunk.get("stream", "")))
    client.images.get(reference).tag(spec.repository(), "latest")
    _remove_superseded(client, spec, reference)
    return reference


def _remove_superseded(client: docker.DockerClient, spec: ImageSpec, reference: str) -> None:
    """Drop this repository's older content tags: with the vfs driver every image costs its full size on disk."""
    keep = {reference, f"{spec.repository()}:latest"}
    for image in client.images.list(name=spec.repository()):
        for tag in image.tags:
            if tag not in keep:
                try:
                    client.images.remove(tag)
                except APIError:
                    pass  # a container of another run still uses it; the next build removes it


def ensure_base(base: str) -> None:
    """Make the local Debian base with debootstrap when it is the one asked for and is missing."""
    if base == LOCAL_BASE:
        subprocess.run([str(DOCKER_DIR / "base-image.sh"), base], check=True)


def ensure_images(base: str, python: Path, log: Path) -> list[str]:
    """Build whatever image is missing for this content; return the references built."""
    client = connect()
    try:
        missing = missing_images(client, base)
        if not missing:
            return []
        ensure_base(base)
        prepare_inputs(python)
        return [build(client, spec, base, log) for spec in missing]
    finally:
        client.close()
