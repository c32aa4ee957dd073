#!/usr/bin/env bash
# Runs a real Vault dev server (in memory, unsealed, one root token) on a free loopback port for the
# RealVault* test suites, builds it first if needed (build.sh), and prepares it as they need: KV v2 at
# `secret` (dev mode mounts it) and the Transit engine at `transit`. When ready it prints
#
#   VAULT_ADDR=http://127.0.0.1:<port>
#   VAULT_TOKEN=<random root token>
#
# on stdout (and writes them to ENV_FILE, mode 0600, when given), then runs until SIGTERM or SIGINT,
# when it stops Vault and removes its temporary folder. Nothing outlives it: dev mode keeps no data.
#
#   e2e/vault/dev-server.sh [ENV_FILE]
#
# CI, before ./mvnw verify:
#   e2e/vault/dev-server.sh "$tmp/vault.env" >/dev/null & vault_pid=$!
#   until [ -s "$tmp/vault.env" ]; do kill -0 "$vault_pid" || exit 1; sleep 0.2; done
#   set -a; . "$tmp/vault.env"; set +a
#   ...; kill "$vault_pid"; wait "$vault_pid"
#
# Environment: NBSECRETS_VAULT_BIN (a folder holding `vault`; default: what build.sh prints),
# NBSECRETS_VAULT_START_TIMEOUT (seconds, default 30).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
env_file=${1:-}
timeout=${NBSECRETS_VAULT_START_TIMEOUT:-30}

bin=${NBSECRETS_VAULT_BIN:-$("$here/build.sh" | tail -n 1)}
vault=$bin/vault
[ -x "$vault" ] || { echo "dev-server.sh: no vault binary at $vault" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nbsecrets-vault.XXXXXX")
vault_pid=
stop() {
  if [ -n "$vault_pid" ] && kill -0 "$vault_pid" 2>/dev/null; then
    kill -TERM "$vault_pid" 2>/dev/null || true
    wait "$vault_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# A free loopback port whose neighbour is free too: dev mode also listens on <port>+1 (cluster port).
free_port() {
  python3 - <<'EOF'
import socket
for _ in range(100):
    with socket.socket() as a:
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as b:
                b.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        print(port)
        break
EOF
}

token=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
started=
for attempt in 1 2 3; do
  port=$(free_port)
  addr=http://127.0.0.1:$port
  # The token goes through the environment, not the command line (which every user can read).
  # -dev-no-store-token: do not write ~/.vault-token.
  VAULT_DEV_ROOT_TOKEN_ID=$token HOME=$work VAULT_LOG_LEVEL=${VAULT_LOG_LEVEL:-warn} \
    "$vault" server -dev -dev-no-store-token -dev-listen-address="127.0.0.1:$port" \
    >"$work/vault.log" 2>&1 &
  vault_pid=$!
  deadline=$(( $(date +%s) + timeout ))
  while kill -0 "$vault_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$addr/v1/sys/health")" = 200 ]; then
      started=1
      break
    fi
    sleep 0.2
  done
  [ -n "$started" ] && break
  echo "dev-server.sh: vault did not start on 127.0.0.1:$port (attempt $attempt):" >&2
  tail -n 20 "$work/vault.log" >&2
  stop; work=$(mktemp -d "${TMPDIR:-/tmp}/nbsecrets-vault.XXXXXX"); vault_pid=
done
[ -n "$started" ] || exit 1

export VAULT_ADDR=$addr VAULT_TOKEN=$token
"$vault" secrets enable transit >/dev/null
# KV v2 is what dev mode mounts at secret/; fail early if that ever changes.
"$vault" read -field=options sys/mounts/secret | grep -q 'version:2' \
  || { echo "dev-server.sh: secret/ is not a KV v2 mount" >&2; exit 1; }

echo "vault $("$vault" version | cut -d' ' -f2) dev server at $addr (pid $vault_pid, log $work/vault.log)" >&2
if [ -n "$env_file" ]; then
  (umask 077; printf 'VAULT_ADDR=%s\nVAULT_TOKEN=%s\n' "$addr" "$token" >"$env_file.tmp")
  mv "$env_file.tmp" "$env_file"
fi
printf 'VAULT_ADDR=%s\nVAULT_TOKEN=%s\n' "$addr" "$token"

# Wait for a signal (or for Vault to die, which is an error).
wait "$vault_pid" && status=0 || status=$?
vault_pid=
echo "dev-server.sh: vault exited ($status); its log:" >&2
tail -n 20 "$work/vault.log" >&2
exit 1
