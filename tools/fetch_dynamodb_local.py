#!/usr/bin/env python3
"""Fetch AWS's DynamoDB Local for the sandbox (`make setup` runs this; sandbox/dynamodb_local.py uses it).

    python -m tools.fetch_dynamodb_local     # from the project's root; does nothing when already there

DynamoDB Local 1.25.1 ships inside the npm package `amplify-dynamodb-simulator` (its `emulator/`
folder: DynamoDBLocal.jar and DynamoDBLocal_lib/). Its own dependencies (the Amplify CLI core, the AWS
SDK for JavaScript) are not needed, so rather than a package.json dependency, `npm pack` fetches the one
tarball through the npm client, its sha512 is checked against the pin below, and only `package/emulator/`
is extracted into `.tools/dynamodb-local/emulator/`. When `javac` is present the launcher
(sandbox/LoopbackDynamoDBLocal.java) is compiled too, which saves every start a second or two.

Java itself is optional: without it this still succeeds, and the sandbox runs DynamoDB on moto.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: the project's root is not on sys.path yet
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.dynamodb_local import HOME, LAUNCHER_SOURCE, launcher_compiled  # noqa: E402

PACKAGE = "amplify-dynamodb-simulator@2.9.30"  # ships DynamoDB Local 1.25.1
# `npm view amplify-dynamodb-simulator@2.9.30 dist.integrity`
INTEGRITY = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
MEMBER_PREFIX = "package/emulator/"
STAMP = ".integrity"  # inside emulator/: what was extracted there


def main(home: Path = HOME) -> int:
    emulator = home / "emulator"
    if not fetched(emulator):
        print(f"DynamoDB Local: fetching {PACKAGE} (57 MB, once) with npm pack into {relative(emulator)}", flush=True)
        fetch(emulator)
    if not shutil.which("java"):
        print("DynamoDB Local: java is not on PATH; the sandbox will run DynamoDB on moto", flush=True)
    compile_launcher(emulator, home / "launcher")
    return 0


def fetched(emulator: Path) -> bool:
    stamp = emulator / STAMP
    return stamp.is_file() and stamp.read_text().strip() == INTEGRITY


def fetch(emulator: Path) -> None:
    """Into a staging folder beside the target first, so an interrupted fetch leaves nothing half-made."""
    emulator.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=emulator.parent, prefix=".fetch-") as staging:
        tarball = npm_pack(Path(staging))
        verify(tarball)
        extracted = Path(staging) / "emulator"
        extract_emulator(tarball, extracted)
        (extracted / STAMP).write_text(INTEGRITY + "\n")
        if emulator.exists():
            shutil.rmtree(emulator)
        extracted.rename(emulator)


def npm_pack(into: Path) -> Path:
    result = subprocess.run(
        ["npm", "pack", PACKAGE, "--json", "--pack-destination", str(into), "--loglevel=error"],
        check=True,
        capture_output=True,
        text=True,
    )
    [packed] = json.loads(result.stdout)
    return into / packed["filename"]


def verify(tarball: Path) -> None:
    algorithm, _, expected = INTEGRITY.partition("-")
    digest = hashlib.new(algorithm, tarball.read_bytes()).digest()
    actual = f"{algorithm}-{base64.b64encode(digest).decode()}"
    if actual != INTEGRITY:
        raise SystemExit(f"DynamoDB Local: {tarball.name} has integrity {actual}, expected {INTEGRITY}")


def extract_emulator(tarball: Path, into: Path) -> None:
    """Only `package/emulator/`, without its prefix; tarfile's "data" filter refuses links and paths
    that leave the folder."""
    with tarfile.open(tarball) as archive:
        members = []
        for member in archive.getmembers():
            if member.name.startswith(MEMBER_PREFIX) and member.name != MEMBER_PREFIX:
                member.name = member.name[len(MEMBER_PREFIX) :]
                members.append(member)
        archive.extractall(into, members=members, filter="data")


def compile_launcher(emulator: Path, classes: Path) -> None:
    """Skipped without javac: the sandbox then runs the source file directly (where the JVM can)."""
    javac = shutil.which("javac")
    if not javac or launcher_compiled(classes):
        return
    classpath = f"{emulator / 'DynamoDBLocal.jar'}:{emulator / 'DynamoDBLocal_lib'}/*"
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run([javac, "-nowarn", "-d", str(classes), "-cp", classpath, str(LAUNCHER_SOURCE)], check=True)


def relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
