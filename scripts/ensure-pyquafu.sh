#!/usr/bin/env bash
# Make sure the published pyquafu client is installed for the Quafu-compatibility tests
# (tests/quafu). pyquafu 0.4.5 needs numpy<2 and ships a CPython 3.11 wheel, so it gets a
# virtual environment of its own, .venv-quafu, next to .venv; the tests run real pyquafu
# scripts in that interpreter as subprocesses against a live Kuafu server.
# If it cannot install, it says so and exits 0: those tests then skip, or fail under CI
# (CI=true).
set -uo pipefail

cd "$(dirname "$0")/.."
VENV=${KUAFU_QUAFU_VENV:-.venv-quafu}
VERSION=0.4.5

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
    "import importlib.metadata as m, sys; sys.exit(m.version('pyquafu') != '$VERSION')" \
    2>/dev/null; then
    echo "ensure-pyquafu: pyquafu $VERSION already in $VENV"
    exit 0
fi

PYTHON=${PYQUAFU_PYTHON:-}
if [ -z "$PYTHON" ]; then
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c \
            'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            PYTHON=$candidate
            break
        fi
    done
fi
if [ -z "$PYTHON" ]; then
    echo "ensure-pyquafu: pyquafu $VERSION ships a CPython 3.11 wheel; no python3.11 found" >&2
    exit 0
fi

echo "ensure-pyquafu: installing pyquafu $VERSION into $VENV"
"$PYTHON" -m venv "$VENV" || { echo "ensure-pyquafu: venv failed" >&2; exit 0; }
"$VENV/bin/python" -m pip --disable-pip-version-check -q install "pyquafu==$VERSION" \
    || { echo "ensure-pyquafu: pip install pyquafu==$VERSION failed" >&2; exit 0; }
"$VENV/bin/python" -c "import quafu; print('ensure-pyquafu: pyquafu', quafu.get_version())"
