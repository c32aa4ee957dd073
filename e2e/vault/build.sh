#!/usr/bin/env bash
# Builds a real HashiCorp Vault server (the `vault` command: server and CLI) from its Go module, at the
# version pinned in the go.mod beside this script, into a cache outside the work tree. A second run
# with the same pins does nothing. dev-server.sh runs it for the RealVault* test suites.
#
#   e2e/vault/build.sh          build if needed; the last line of stdout is the bin folder
#
# Environment: NBSECRETS_VAULT_CACHE (default ~/.cache/nbsecrets/vault).
#
# Why v1.14.0 with sdk v0.9.2 and a one-line patch: every vault release builds with its own ./sdk
# folder, never with a released sdk module, and a dependent cannot use that folder. v1.14.10 (and
# v1.14.8) use sdk symbols no released sdk has (physical.FencingHABackend, logical.CtxKeyRequestRole,
# ...). v1.14.0 compiles with sdk v0.9.2 (the older sdk it names lacks WrapKey and
# ParseBasicConstraintExtension), but v0.9.2 added a start-up check that panics on vault's own
# enterprise stub paths ("Pattern managed-keys/... defines a CreateOperation but no ExistenceCheck"),
# a check the sdk vault 1.14.0 shipped with did not have. The build therefore disables that one
# check, in a copy of sdk v0.9.2 made here in the cache that a generated go.mod (`go build -modfile`)
# puts in place of the sdk module (Go does not allow -overlay on the module cache).
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

# The patched copy of the sdk (see above), and a go.mod that replaces the sdk with it, beside ours.
work="$cache/$key/src"
rm -rf "$work"; mkdir -p "$work"
sdk_dir=$(cd "$here" && go mod download -json github.com/hashicorp/vault/sdk \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -R "$sdk_dir" "$work/sdk"; chmod -R u+w "$work/sdk"
check='if p.ExistenceCheck == nil {'
[ "$(grep -cF "$check" "$work/sdk/framework/backend.go")" = 1 ] \
  || { echo "build.sh: $sdk_dir/framework/backend.go changed; review the patch" >&2; exit 1; }
sed -i "s|$check|if false \&\& p.ExistenceCheck == nil { // nbsecrets: disabled, see e2e/vault/build.sh|" \
  "$work/sdk/framework/backend.go"
cp "$here/go.mod" "$work/go.mod"; cp "$here/go.sum" "$work/go.sum"
printf '\nreplace github.com/hashicorp/vault/sdk => %s\n' "$work/sdk" >>"$work/go.mod"

echo "building vault $vault_version ..." >&2
(cd "$here" && go build -modfile "$work/go.mod" -o "$bin/vault.tmp" \
  -ldflags "-s -w -X github.com/hashicorp/vault/version.GitCommit=$vault_commit" \
  github.com/hashicorp/vault)
mv "$bin/vault.tmp" "$bin/vault"
ln -sfn "$key" "$cache/current"
echo "built vault in $(( $(date +%s) - start )) s into $bin ($(du -h "$bin/vault" | cut -f1))" >&2
echo "  $("$bin/vault" version)" >&2
echo "$bin"
