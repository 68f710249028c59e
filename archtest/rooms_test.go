package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const module = "reentrybot"

// pkg is what `go list -deps -json` says of a package.
type pkg struct {
	ImportPath string
	Dir        string
	Standard   bool
	Module     *struct{ Path string }
	GoFiles    []string
	Deps       []string
}

var (
	listOnce sync.Once
	listed   map[string]pkg
	listErr  error
)

// list is every package of the module and its dependencies (not its
// tests'), by import path; listed once for both tests.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	listOnce.Do(func() { listed, listErr = goList() })
	if listErr != nil {
		t.Fatal(listErr)
	}
	return listed
}

func goList() (map[string]pkg, error) {
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = ".."
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs, nil
}

// ours is whether path is a package of this module.
func ours(path string) bool { return path == module || strings.HasPrefix(path, module+"/") }

// The import rules of ARCHITECTURE.md: features import the core, the core
// imports no feature; the conversations and the nouns know no messenger
// and no store; the store knows no conversation and no messenger.
func TestImportRules(t *testing.T) {
	pkgs := list(t)
	messenger := func(dep string) bool {
		return strings.HasPrefix(dep, "github.com/go-telegram/") || dep == module+"/channel" ||
			strings.HasPrefix(dep, module+"/channel/") ||
			dep == module+"/bot" || strings.HasPrefix(dep, module+"/bot/") ||
			dep == module+"/zalo" || dep == module+"/webchat"
	}
	feature := func(path string) bool {
		return strings.HasPrefix(path, module+"/bot/") && !strings.HasSuffix(path, "test")
	}
	rules := []struct {
		pkg, why string
		banned   func(dep string) bool
	}{
		{module + "/bot", "the core imports no feature package", func(dep string) bool { return strings.HasPrefix(dep, module+"/bot/") }},
		{module + "/flows", "the conversations import no messenger and no store", func(dep string) bool { return messenger(dep) || dep == module+"/store" }},
		{module + "/domain", "the nouns import no project package", func(dep string) bool { return ours(dep) }},
		{module + "/store", "the store imports no conversation and no messenger", func(dep string) bool { return messenger(dep) || dep == module+"/flows" }},
		{module + "/channel", "channel imports no messenger library", func(dep string) bool {
			return strings.HasPrefix(dep, "github.com/go-telegram/") || strings.HasPrefix(dep, module+"/channel/")
		}},
		// A channel's package knows its own messenger only, and neither the
		// bot nor the store: the core drives it.
		{module + "/channel/telegram", "Telegram's package imports no other channel, no bot and no store", func(dep string) bool {
			return dep == module+"/bot" || strings.HasPrefix(dep, module+"/bot/") || dep == module+"/store" ||
				dep == module+"/zalo" || dep == module+"/webchat"
		}},
		{module + "/zalo", "Zalo's package imports no other messenger", func(dep string) bool {
			return strings.HasPrefix(dep, "github.com/go-telegram/") || strings.HasPrefix(dep, module+"/channel/") || dep == module+"/webchat"
		}},
		{module + "/webchat", "the web chat imports no other messenger", func(dep string) bool {
			return strings.HasPrefix(dep, "github.com/go-telegram/") || strings.HasPrefix(dep, module+"/channel/") || dep == module+"/zalo"
		}},
	}
	var features []string
	for path := range pkgs {
		if feature(path) {
			features = append(features, path)
		}
	}
	for _, want := range []string{"announcements", "casework", "ops", "reminders"} {
		if !slices.Contains(features, module+"/bot/"+want) {
			t.Errorf("feature packages under bot/: %v, want bot/%s among them", features, want)
		}
	}
	for _, f := range features {
		rules = append(rules, struct {
			pkg, why string
			banned   func(dep string) bool
		}{f, "a feature imports no other feature (what they share is in bot)", func(dep string) bool { return feature(dep) }})
	}
	for _, r := range rules {
		p, ok := pkgs[r.pkg]
		if !ok {
			t.Errorf("%s: not in go list", r.pkg)
			continue
		}
		for _, dep := range p.Deps {
			if r.banned(dep) {
				t.Errorf("%s imports %s: %s", r.pkg, dep, r.why)
			}
		}
	}
}

// sqlText is what a statement looks like in a string literal.
var sqlText = regexp.MustCompile(`(?is)\b(select\s.+\sfrom\s|insert\s+into\s|update\s+\w+\s+set\s|delete\s+from\s|create\s+(table|index)\s|alter\s+table\s)`)

// testSupport may write rows directly (ARCHITECTURE.md, "Not yet as it
// should be"): it serves tests, not the program.
var testSupport = map[string]bool{
	module + "/dbtest": true, module + "/pgtemp": true, module + "/bench": true,
	module + "/flows/flowtest": true, module + "/bot/bottest": true,
}

// No package of the program but store holds SQL: its string literals are
// read (tests are not: they may set up rows).
func TestSQLOnlyInStore(t *testing.T) {
	for path, p := range list(t) {
		if !ours(path) || path == module+"/store" || strings.HasPrefix(path, module+"/store/") ||
			path == module+"/migrations" || testSupport[path] {
			continue
		}
		fset := token.NewFileSet()
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(lit.Value); err == nil && sqlText.MatchString(s) {
					t.Errorf("%s: SQL outside store: %.80q", fset.Position(lit.Pos()), s)
				}
				return true
			})
		}
	}
}
