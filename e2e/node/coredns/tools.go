//go:build tools

// Package tools pins the CoreDNS command that build.sh builds.
package tools

import (
	_ "github.com/coredns/coredns"
)
