//go:build tools

// Package tools pins the runc command that build.sh builds.
package tools

import (
	_ "github.com/opencontainers/runc"
)
