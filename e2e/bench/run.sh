#!/usr/bin/env bash
# Issue 14's measurements in one run, on this machine: the Renku and OpenSSL references, the
# operator's snapshot CPU per session key algorithm, and the init step as a whole process next to
# its Python reference. Needs target/nbsecrets.jar (./mvnw -q package -DskipTests) and Python's
# cryptography >= 48. Usage: e2e/bench/run.sh [DIR]   (DIR: scratch directory for bench init;
# by default one in /dev/shm, an in-memory file system like the session pod's volume)
set -euo pipefail
cd "$(dirname "$0")/../.."
jar=target/nbsecrets.jar
if [ $# -ge 1 ]; then
  dir=$1
else
  dir=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
  trap 'rm -rf "$dir"' EXIT
fi
test -f "$jar" || { echo "no $jar: run ./mvnw -q package -DskipTests first" >&2; exit 1; }

echo "== references (Python cryptography $(python3 -c 'import cryptography; print(cryptography.__version__)'), OpenSSL)"
python3 e2e/bench/reference.py

# The operator's snapshot, on this JVM and, when there is one at $JAVA25, on Java 25: the image
# runs the operator there (operator/README.md).
java25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
snapshot_launchers=("$(command -v java)")
test -x "$java25" && snapshot_launchers+=("$java25")
for launcher in "${snapshot_launchers[@]}"; do
  echo "== the operator's snapshot of 50 secrets, per session key algorithm: $("$launcher" -version 2>&1 | head -1)"
  for algorithm in mlkem768-x25519 x25519 rsa-4096 rsa-2048; do
    "$launcher" -jar "$jar" bench snapshot --algorithm "$algorithm" | tail -1
  done
done

# The init step as a whole process (as the image runs it: its own jar first on the class path,
# libcrypto through NativeFernet; and with the JDK's crypto), next to the Python reference and two
# lower bounds of the JDK's way run by the same JVM: its start alone, and the inner layer's removal
# alone with the JDK's crypto (read and decrypt, nothing else).
# With this JVM, and with a Java 25 launcher too when one is at $JAVA25 (an AOT cache then takes
# the class-data archive's place).
launchers=("$(command -v java)")
test -x "$java25" && launchers+=("$java25")
for launcher in "${launchers[@]}"; do
  echo "== the init step as a whole process, 50 secrets: $("$launcher" -version 2>&1 | head -1)"
  printed=$(java -jar "$jar" bench init --dir "$dir" --java "$launcher")
  # shellcheck disable=SC2046 # each printed command is split into its words on purpose
  {
    echo "JVM start alone:"
    python3 e2e/bench/wall.py --runs 11 -- $(sed -n 's/^start alone: //p' <<<"$printed")
    echo "inner layer alone:"
    python3 e2e/bench/wall.py --runs 11 -- $(sed -n 's/^inner layer alone: //p' <<<"$printed")
    echo "the init step:"
    python3 e2e/bench/wall.py --runs 11 -- $(tail -1 <<<"$printed")
    echo "the init step with the JDK's crypto (--native none):"
    python3 e2e/bench/wall.py --runs 11 -- $(java -jar "$jar" bench init --dir "$dir/jdk" --java "$launcher" --native none | tail -1)
    echo "Python reference:"
    python3 e2e/bench/wall.py --runs 11 -- python3 e2e/bench/reference_init.py "$dir"
  }
done
