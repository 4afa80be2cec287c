"""Where the synthesized stacks' templates are: read from the cloud assembly's manifest, not guessed.

    python -m infra.assembly [cdk.out]     # prints every template, one a line: cdk.out/<stackName>.template.json

A stack's name (and so its template's file name) follows context `stackName`, which may come from
cdk.json or `-c`; the manifest CDK writes with every synth says which stacks that synth produced. An app
may synthesize several (one per deployment): the sandbox takes the folder and picks its stack by name.
A stack may also deploy a template of its own making: the StackSet roll-out's spoke
(`<id>.stackset.template.json`, infra/stackset.py) is published as one of its stack's file assets, so the
stack's asset manifest names it. Every template, those included, is linted and scanned.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_OUTDIR = Path("cdk.out")
STACK_ARTIFACT = "aws:cloudformation:stack"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"
TEMPLATE_SUFFIX = ".template.json"


class AssemblyError(RuntimeError):
    """The directory holds no synthesized assembly, or not the stack asked for."""


def stack_templates(outdir: Path = DEFAULT_OUTDIR) -> dict[str, Path]:
    """Stack name → template file, for every stack in the assembly's manifest."""
    manifest = outdir / "manifest.json"
    if not manifest.is_file():
        raise AssemblyError(f"{manifest} does not exist; run `make synth` (npx cdk synth) first")
    artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {})
    return {
        artifact.get("displayName", name): outdir / artifact["properties"]["templateFile"]
        for name, artifact in artifacts.items()
        if artifact.get("type") == STACK_ARTIFACT
    }


def code_asset(outdir: Path, s3_key: str) -> Path:
    """The staged folder of a function's code asset: `asset.<hash>` for its Code's S3Key `<hash>.zip`."""
    return outdir / f"asset.{s3_key.removesuffix('.zip')}"


def asset_templates(outdir: Path = DEFAULT_OUTDIR) -> list[Path]:
    """Templates that stacks deploy as file assets (a StackSet's template), from the asset manifests.
    A stack's own template is one of its assets too: those are `stack_templates`, not listed here."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    stacks = set(stack_templates(outdir).values())
    found: list[Path] = []
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") != ASSET_MANIFEST_ARTIFACT:
            continue
        assets = json.loads((outdir / artifact["properties"]["file"]).read_text(encoding="utf-8"))
        for asset in assets.get("files", {}).values():
            source = asset.get("source", {})
            path = outdir / source.get("path", "")
            if source.get("packaging", "file") == "file" and path.name.endswith(TEMPLATE_SUFFIX) and path not in stacks:
                found.append(path)
    return sorted(set(found))


def all_templates(outdir: Path = DEFAULT_OUTDIR) -> list[Path]:
    """Every stack's template, then every template a stack deploys (none, when there is no stack)."""
    return [*stack_templates(outdir).values(), *asset_templates(outdir)]


def template_paths(outdir: Path = DEFAULT_OUTDIR) -> list[Path]:
    """Every template of the assembly (`all_templates`); an assembly without a stack is refused."""
    if not stack_templates(outdir):
        raise AssemblyError(f"{outdir} should hold a stack, found none")
    return all_templates(outdir)


def template_path(outdir: Path = DEFAULT_OUTDIR, stack: str | None = None) -> Path:
    """One stack's template: the one named `stack`, or the assembly's only stack."""
    templates = stack_templates(outdir)
    if stack is None and len(templates) == 1:
        return next(iter(templates.values()))
    if stack is not None and stack in templates:
        return templates[stack]
    wanted = f"the stack {stack!r}" if stack else "exactly one stack (or name one)"
    raise AssemblyError(f"{outdir} should hold {wanted}, found {sorted(templates) or 'none'}")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        for path in template_paths(Path(args[0]) if args else DEFAULT_OUTDIR):
            print(path)
    except AssemblyError as error:
        print(f"infra.assembly: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
