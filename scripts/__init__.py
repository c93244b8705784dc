"""The pipeline's tooling.

The tools share the Lambda functions' ``pricing`` package (one signing module for the
handler and every sender), so importing ``scripts`` puts lambda_src on ``sys.path``, as
the functions' zips have it at their root.
"""

import sys
from pathlib import Path

LAMBDA_SRC = Path(__file__).resolve().parent.parent / "lambda_src"
if str(LAMBDA_SRC) not in sys.path:
    sys.path.insert(0, str(LAMBDA_SRC))
