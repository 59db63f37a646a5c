#!/usr/bin/env bash
# Make sure today's QUAFU client, quafu-sdk 0.2.7, is installed for the compatibility
# tests (tests/quafu_sdk). It gets a virtual environment of its own, .venv-quafu-sdk, so
# that the tests run the real, unmodified SDK in a separate interpreter (as a user's
# script would) against a live Kuafu server. With its `qiskit` extra, for the Qiskit
# provider (quafu.qiskit.QuafuProvider).
# If it cannot install, it says so and exits 0: those tests then skip, or fail under CI
# (CI=true).
set -uo pipefail

cd "$(dirname "$0")/.."
VENV=${KUAFU_QUAFU_SDK_VENV:-.venv-quafu-sdk}
VERSION=0.2.7

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
    "import importlib.metadata as m, sys, qiskit; sys.exit(m.version('quafu-sdk') != '$VERSION')" \
    2>/dev/null; then
    echo "ensure-quafu-sdk: quafu-sdk $VERSION already in $VENV"
    exit 0
fi

PYTHON=${QUAFU_SDK_PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null; then
    echo "ensure-quafu-sdk: no $PYTHON found" >&2
    exit 0
fi

echo "ensure-quafu-sdk: installing quafu-sdk $VERSION into $VENV"
"$PYTHON" -m venv "$VENV" || { echo "ensure-quafu-sdk: venv failed" >&2; exit 0; }
"$VENV/bin/python" -m pip --disable-pip-version-check -q install "quafu-sdk[qiskit]==$VERSION" \
    || { echo "ensure-quafu-sdk: pip install quafu-sdk[qiskit]==$VERSION failed" >&2; exit 0; }
"$VENV/bin/python" -c "import quafu, qiskit; print('ensure-quafu-sdk: quafu-sdk', quafu.__version__, 'qiskit', qiskit.__version__)"
