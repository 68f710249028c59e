// Package archtest holds no code: its test checks the rules of
// ARCHITECTURE.md ("The rooms") on the module's own packages, by reading
// `go list -deps` and the program's string literals.
package archtest
