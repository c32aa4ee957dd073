#!/usr/bin/env bash
# Builds a real HashiCorp Vault server (the `vault` command: server and CLI) from its Go module, at the
# version pinned in the go.mod beside this script, into a cache outside the work tree. A second run
# with the same pins does nothing. dev-server.sh runs it for the RealVault* test suites.
#
#   e2e/vault/build.sh          build if needed; the last line of stdout is the bin folder
#
# Environment: NBSECRETS_VAULT_CACHE (default ~/.cache/nbsecrets/vault).
#
# Do not run `go mod tidy` here: vault's go.mod is tidy only with its ./sdk and ./api folders, and
# tidy would resolve the missing test-only imports of its dependencies at their newest versions and
# raise shared modules (grpc, otel, x/net, ...) far beyond what Vault was built with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${NBSECRETS_VAULT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nbsecrets/vault}

vault_version=v1.14.0
vault_commit=13a649f860186dffe3f3a4459814d87191efc321 # the tag's commit, as the module proxy reports it

command -v go >/dev/null 2>&1 || { echo "build.sh: Go is needed (go 1.26 or newer) and is not on PATH" >&2; exit 2; }

# The cache key covers everything that decides what is built: the pins, the tools file and this script.
key=$(cd "$here" && cat build.sh go.mod go.sum tools.go | sha256sum | cut -c1-16)
bin="$cache/$key/bin"

if [ -x "$bin/vault" ]; then
  echo "vault up to date in $bin ($vault_version)" >&2
  ln -sfn "$key" "$cache/current"
  echo "$bin"
  exit 0
fi

mkdir -p "$bin"
export GOFLAGS="-mod=readonly -trimpath"
export CGO_ENABLED=0
start=$(date +%s)
echo "building vault $vault_version ..." >&2
(cd "$here" && go build -o "$bin/vault.tmp" \
  -ldflags "-s -w -X github.com/hashicorp/vault/version.GitCommit=$vault_commit" \
  github.com/hashicorp/vault)
mv "$bin/vault.tmp" "$bin/vault"
ln -sfn "$key" "$cache/current"
echo "built vault in $(( $(date +%s) - start )) s into $bin ($(du -h "$bin/vault" | cut -f1))" >&2
echo "  $("$bin/vault" version)" >&2
echo "$bin"
