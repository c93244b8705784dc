"""``python -m scripts.redrive``: ``pipeline-redrive`` (:mod:`scripts.redrive.aws`)."""

import sys

from scripts.redrive.aws import main

if __name__ == "__main__":
    sys.exit(main())
