#!/usr/bin/env bash
# Integration: confidentiality of settlements (tests/integration/settle_confidential.py): a party
# to one leg of a 1,000-leg settlement reads that leg only, with its audit path.
# Usage: bash test_settle_confidential.sh BUILD_DIR SOURCE_DIR
set -u
BUILD_DIR=$(cd "$1" && pwd)
T=$(mktemp -d /tmp/quotad-settle-XXXXXX)
trap 'rm -rf "$T"' EXIT
"$(command -v /usr/bin/python3 || command -v python3)" "$(dirname "$0")/settle_confidential.py" "$BUILD_DIR" "$T"
