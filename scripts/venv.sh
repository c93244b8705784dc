#!/usr/bin/env bash
# `make venv`: .venv from the hash-locked requirements/dev.txt, with the pipeline-* commands.
#   scripts/venv.sh [--dry-run] PYTHON VENV STAMP
# --dry-run checks the interpreter and says whether VENV would be kept or rebuilt, then stops.
set -euo pipefail
dry_run=
if [ "${1:-}" = --dry-run ]; then dry_run=1; shift; fi
python=$1 venv=$2 stamp=$3

# pyproject.toml's requires-python, checked before any package: an older Python would fail later on
# a package that needs 3.11, without saying why.
version=$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3]); sys.exit(sys.version_info < (3, 11))' 2>/dev/null) || {
  echo "error: Python >= 3.11 is required; $python is ${version:-not found}: run make venv PYTHON=python3.11 (or newer)" >&2
  exit 1
}

# A .venv without its stamp (an install that failed or was interrupted) or made by another
# interpreter is rebuilt from scratch: installing over it would keep what the failed run left.
reason=
if [ -d "$venv" ]; then
  made_by=$(sed -n 's/^version[_info]* *= *\([0-9.]*\).*/\1/p' "$venv/pyvenv.cfg" 2>/dev/null | head -n 1)
  if [ ! -f "$stamp" ]; then
    reason="no $stamp: an earlier install did not finish"
  elif [ "$made_by" != "$version" ]; then
    reason="made by Python ${made_by:-unknown}, not $python's $version"
  elif ! "$venv/bin/python" -c '' 2>/dev/null; then
    reason="its interpreter does not run"
  fi
fi
if [ -n "$dry_run" ]; then
  echo "Python $version: ${reason:+rebuild $venv ($reason)}${reason:-keep $venv}"
  exit 0
fi
if [ -n "$reason" ]; then
  echo "==> rebuilding $venv: $reason"
  rm -rf "$venv"
fi

packages=$(grep -c '^[A-Za-z0-9]' requirements/dev.txt)
if [ ! -x "$venv/bin/python" ]; then
  echo "==> [1/4] creating $venv with $python (Python $version)"
  "$python" -m venv "$venv"
else
  echo "==> [1/4] updating $venv (Python $version)"
fi
# uv installs the lock in seconds where pip takes about a minute; it checks the same hashes.
# --compile-bytecode, as pip does: with PYTHONDONTWRITEBYTECODE set (as on some CI images) no import
# writes a .pyc, and every Python process would compile each module it imports again. pip remains
# the installer when uv cannot be had or cannot install (uv reads no pip.conf: an index set only
# there is pip's).
echo "==> [2/4] installing uv, the installer, from the hash-locked requirements/uv.txt"
installer=pip
if "$venv/bin/python" -m pip install --quiet --require-hashes -r requirements/uv.txt; then
  installer=uv
else
  echo "==> uv could not be installed: pip installs instead (one to a few minutes)"
fi
echo "==> [3/4] installing $packages hash-locked packages of requirements/dev.txt with $installer"
if [ "$installer" = uv ] &&
  ! "$venv/bin/uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" --require-hashes \
    -r requirements/dev.txt; then
  echo "==> uv could not install requirements/dev.txt: pip installs instead (one to a few minutes)"
  installer=pip
fi
if [ "$installer" = pip ]; then
  "$venv/bin/python" -m pip install --quiet --require-hashes -r requirements/dev.txt
fi
echo "==> [4/4] installing this project in editable mode (the pipeline-* commands)"
# setuptools warns (ten lines) that an editable install can be shadowed by folders of the same
# name: this checkout is the package, so that is the point.
PYTHONWARNINGS=ignore::UserWarning "$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation --editable .
touch "$stamp"
echo "==> $venv ready: make help lists what to run next"
