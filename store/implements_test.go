package store_test

import (
	"reentrybot/flows"
	"reentrybot/store"
)

// *store.Tx is what the conversations read and write through; the check
// lives in a test so that store itself need not import the conversations.
var (
	_ flows.Store    = (*store.Tx)(nil)
	_ flows.Exporter = (*store.Tx)(nil)
	_ flows.Eraser   = (*store.Tx)(nil)
)
