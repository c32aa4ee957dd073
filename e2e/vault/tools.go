//go:build tools

// Package tools pins the Vault server that build.sh builds: github.com/hashicorp/vault is itself the
// main package of the `vault` command (server and CLI).
package tools

import (
	_ "github.com/hashicorp/vault"
)
