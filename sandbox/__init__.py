"""The local sandbox: the whole pipeline on moto server and our AutoML simulator (DESIGN section 6)."""

import sys
from pathlib import Path

# Lambda imports handlers from the code asset's root; the asset is `lambdas/` (infra/constructs/function.py).
LAMBDA_CODE_ROOT = Path(__file__).resolve().parents[1] / "lambdas"
if str(LAMBDA_CODE_ROOT) not in sys.path:
    sys.path.insert(0, str(LAMBDA_CODE_ROOT))
