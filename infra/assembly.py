"""Where the synthesized stack's template is: read from the cloud assembly's manifest, not guessed.

    python -m infra.assembly [cdk.out]     # prints cdk.out/<stackName>.template.json

The stack's name (and so its template's file name) follows context `stackName`, which may come from
cdk.json or `-c`; the manifest CDK writes with every synth says which stack that synth produced.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_OUTDIR = Path("cdk.out")
STACK_ARTIFACT = "aws:cloudformation:stack"


class AssemblyError(RuntimeError):
    """The directory holds no synthesized assembly with exactly one stack."""


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


def template_path(outdir: Path = DEFAULT_OUTDIR) -> Path:
    """The one stack's template (the app defines exactly one stack)."""
    templates = stack_templates(outdir)
    if len(templates) != 1:
        raise AssemblyError(f"{outdir} should hold exactly one stack, found {sorted(templates) or 'none'}")
    (path,) = templates.values()
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        print(template_path(Path(args[0]) if args else DEFAULT_OUTDIR))
    except AssemblyError as error:
        print(f"infra.assembly: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
