#!/usr/bin/env bash
# Issue 14's measurements in one run, on this machine: the Renku and OpenSSL references, the
# operator's snapshot CPU per session key algorithm, and the init step as a whole process next to
# its Python reference. Needs target/nbsecrets.jar (./mvnw -q package -DskipTests) and Python's
# cryptography >= 48. Usage: e2e/bench/run.sh [DIR]   (DIR: scratch directory for bench init)
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=target/nbsecrets.jar
dir=${1:-$(mktemp -d)}
test -f "$jar" || { echo "no $jar: run ./mvnw -q package -DskipTests first" >&2; exit 1; }

echo "== references (Python cryptography $(python3 -c 'import cryptography; print(cryptography.__version__)'), OpenSSL)"
python3 e2e/bench/reference.py

echo "== the operator's snapshot of 50 secrets, per session key algorithm"
for algorithm in mlkem768-x25519 x25519 rsa-4096 rsa-2048; do
  java -jar "$jar" bench snapshot --algorithm "$algorithm" | tail -1
done

echo "== the init step as a whole process, 50 secrets"
command=$(java -jar "$jar" bench init --dir "$dir" | tail -1)
# shellcheck disable=SC2086 # the printed command is split into its words on purpose
python3 e2e/bench/wall.py --runs 11 -- $command
python3 e2e/bench/wall.py --runs 11 -- python3 e2e/bench/reference_init.py "$dir"
