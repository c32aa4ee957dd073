module nbsecrets.local/e2e/vault

go 1.26

require (
	github.com/hashicorp/vault v1.14.0
	// vault's own go.mod replaces these with its ./sdk and ./api folders, which a dependent ignores;
	// required here so that their go.mod files (their dependencies' versions) are in the graph.
	github.com/hashicorp/vault/api v1.9.2
	github.com/hashicorp/vault/sdk v0.9.2
)

// Go 1.23 and later refuse X.509 certificates with negative serial numbers; gosnowflake v1.6.18 (a
// database plugin built into vault) parses such CA certificates in an init function and panics at
// start-up ("failed to parse CA certificate") without this.
godebug x509negativeserial=1
