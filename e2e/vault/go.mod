module nbsecrets.local/e2e/vault

go 1.26

require (
	github.com/hashicorp/vault v1.14.10
	// vault's own go.mod replaces these with its ./sdk and ./api folders, which a dependent ignores;
	// required here so that their go.mod files (their dependencies' versions) are in the graph.
	github.com/hashicorp/vault/api v1.9.2
	github.com/hashicorp/vault/sdk v0.10.2
)

// vault v1.14.10's go.mod requires sdk v0.10.2 but builds with its own ./sdk, which is the 1.14 line's
// sdk: sdk v0.10.x changed logical.EventSender (Send -> SendEvent) and vault/eventbus does not
// compile against it. v0.9.2 is the last released sdk of the 1.14 line.
replace github.com/hashicorp/vault/sdk => github.com/hashicorp/vault/sdk v0.9.2
