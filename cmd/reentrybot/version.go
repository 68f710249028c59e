package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// buildVersion returns the version and commit: those stamped with -ldflags,
// else what the Go toolchain recorded (the module version when installed
// with go install, the VCS revision when built in a checkout).
func buildVersion() (ver, rev string, modified bool) {
	ver, rev = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if ver == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			ver = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true" && commit == ""
			}
		}
	}
	if ver == "" {
		ver = "devel"
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, modified
}

// versionString is what `reentrybot version` prints and serve logs.
func versionString() string {
	ver, rev, modified := buildVersion()
	if modified {
		rev += " (modified)"
	}
	return fmt.Sprintf("%s commit %s %s", ver, rev, runtime.Version())
}
