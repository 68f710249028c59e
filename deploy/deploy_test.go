// Package deploy holds the deployment artifacts (Dockerfile at the
// repository root, compose, systemd, Caddy, Grafana); these tests check
// them without a container engine or systemd running.
package deploy

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"reentrybot/app"
	"reentrybot/config"
)

const root = ".."

// dockerfile returns the Dockerfile's lines with continuations joined.
func dockerfile(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.ReplaceAll(string(b), "\\\n", " ")
	var lines []string
	for _, l := range strings.Split(joined, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	return lines
}

// buildAsDockerfile runs the Dockerfile's own `go build` line, with its
// build arguments given, writing the binary into dir.
func buildAsDockerfile(t *testing.T, dir, version, commit string) string {
	t.Helper()
	var build string
	for _, l := range dockerfile(t) {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	if !strings.HasPrefix(build, "CGO_ENABLED=0 ") || !strings.Contains(build, "-o /out/reentrybot ") {
		t.Fatalf("the Dockerfile's build line is not a static build into /out/reentrybot: %q", build)
	}
	bin := filepath.Join(dir, "reentrybot")
	build = strings.NewReplacer("${VERSION}", version, "${COMMIT}", commit, "-o /out/reentrybot ", "-o "+bin+" ").Replace(build)
	cmd := exec.Command("sh", "-c", build)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", build, err, out)
	}
	return bin
}

// The release binary is static, carries its version and commit, and loads
// TIME_ZONE with no time zone files on the machine.
func TestReleaseBinaryStartsWithoutZoneinfo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildAsDockerfile(t, dir, "v9.8.7", "0123abcdef")
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader: not static")
		}
	}
	f.Close()
	empty := filepath.Join(dir, "zoneinfo")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "ZONEINFO=" + empty, "TIME_ZONE=Asia/Ho_Chi_Minh", "HOME=" + dir}
	run := func(wrap []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(wrap[0], append(wrap[1:], args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v %v: %v\n%s", wrap, args, err, out)
		}
		return string(out)
	}
	direct := []string{bin}
	if out := run(direct, "version"); !strings.Contains(out, "v9.8.7") || !strings.Contains(out, "0123abcdef") {
		t.Errorf("version: %q", out)
	}
	if out := run(direct, "config"); !regexp.MustCompile(`TIME_ZONE\s+Asia/Ho_Chi_Minh`).MatchString(out) {
		t.Errorf("config: %q", out)
	}
	// ZONEINFO only comes first; Go then tries /usr/share/zoneinfo. Where
	// a private mount namespace is allowed, hide that folder too.
	hidden := []string{"unshare", "--mount", "sh", "-c", `mount --bind "$0" /usr/share/zoneinfo && exec "$@"`, empty, bin}
	if err := exec.Command("unshare", "--mount", "sh", "-c", "mount --bind "+empty+" /usr/share/zoneinfo").Run(); err != nil {
		t.Logf("cannot hide /usr/share/zoneinfo here (%v); checked with ZONEINFO only", err)
		return
	}
	if out := run(hidden, "config"); !regexp.MustCompile(`TIME_ZONE\s+Asia/Ho_Chi_Minh`).MatchString(out) {
		t.Errorf("config with /usr/share/zoneinfo hidden: %q", out)
	}
}

func TestDockerfile(t *testing.T) {
	lines := dockerfile(t)
	var stages []string
	final := map[string]string{} // the last stage's instructions
	for _, l := range lines {
		word, rest, _ := strings.Cut(l, " ")
		if word == "FROM" {
			if _, name, ok := strings.Cut(rest, " AS "); ok {
				stages = append(stages, name)
			}
			final = map[string]string{}
		}
		final[word] = rest
	}
	if len(stages) == 0 || stages[len(stages)-1] != "bot" {
		t.Fatalf("the last stage (the default image) must be the bot: %v", stages)
	}
	if u := final["USER"]; u == "" || strings.HasPrefix(u, "root") || strings.HasPrefix(u, "0") {
		t.Errorf("the image runs as %q, want a non-root user", u)
	}
	if !strings.Contains(final["HEALTHCHECK"], "check") {
		t.Errorf("HEALTHCHECK %q does not run reentrybot check", final["HEALTHCHECK"])
	}
	if !strings.Contains(final["CMD"], "serve") {
		t.Errorf("CMD %q does not serve", final["CMD"])
	}
}

// composeFile is the part of the Compose specification the file uses;
// decoding with KnownFields rejects any other (misspelt) key.
type composeFile struct {
	Name     string `yaml:"name"`
	Services map[string]struct {
		Build struct {
			Context string            `yaml:"context"`
			Target  string            `yaml:"target"`
			Args    map[string]string `yaml:"args"`
		} `yaml:"build"`
		Image           string            `yaml:"image"`
		DependsOn       map[string]any    `yaml:"depends_on"`
		Profiles        []string          `yaml:"profiles"`
		Command         []string          `yaml:"command"`
		Ports           []string          `yaml:"ports"`
		Restart         string            `yaml:"restart"`
		Environment     map[string]string `yaml:"environment"`
		Secrets         []string          `yaml:"secrets"`
		Volumes         []string          `yaml:"volumes"`
		StopGracePeriod string            `yaml:"stop_grace_period"`
		Healthcheck     map[string]any    `yaml:"healthcheck"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

func TestCompose(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true) // a misspelt key fails here, not at deploy time
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	bot, ok := c.Services["bot"]
	if !ok || c.Services["db"].Image == "" {
		t.Fatalf("want services bot and db: %v", c.Services)
	}
	if d, err := time.ParseDuration(bot.StopGracePeriod); err != nil || d <= app.ShutdownTimeout {
		t.Errorf("bot stop_grace_period %q must exceed the bot's shutdown (%s)", bot.StopGracePeriod, app.ShutdownTimeout)
	}
	stages := strings.Join(dockerfile(t), "\n")
	known := map[string]bool{"HTTPS_PROXY": true}
	for _, v := range config.Vars {
		known[v.Name], known[v.Name+"_FILE"] = true, true
	}
	for name, s := range c.Services {
		if s.Build.Target != "" && !strings.Contains(stages, " AS "+s.Build.Target+"\n") && !strings.HasSuffix(stages, " AS "+s.Build.Target) {
			t.Errorf("%s: build target %q is no stage of the Dockerfile", name, s.Build.Target)
		}
		for _, sec := range s.Secrets {
			if _, ok := c.Secrets[sec]; !ok {
				t.Errorf("%s: secret %q not declared", name, sec)
			}
		}
		for _, v := range s.Volumes {
			if src, _, ok := strings.Cut(v, ":"); ok && !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") {
				if _, ok := c.Volumes[src]; !ok {
					t.Errorf("%s: volume %q not declared", name, src)
				}
			}
		}
		if s.Build.Context == "" {
			continue
		}
		for k := range s.Environment {
			if !known[k] {
				t.Errorf("%s: %s is not a variable the bot reads", name, k)
			}
		}
	}
	if _, ok := c.Volumes["pgdata"]; !ok {
		t.Error("no volume for the database")
	}
}

// systemd-analyze verify checks the units' syntax and sandboxing options;
// the binary path is pointed at a file that exists here.
func TestSystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze here")
	}
	dir := t.TempDir()
	units, _ := filepath.Glob("systemd/*.service")
	timers, _ := filepath.Glob("systemd/*.timer")
	fake := filepath.Join(dir, "reentrybot-bin")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, u := range append(units, timers...) {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(p, bytes.ReplaceAll(b, []byte("/usr/local/bin/reentrybot"), []byte(fake)), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	if len(units) < 2 || len(timers) < 1 {
		t.Fatalf("units %v, timers %v", units, timers)
	}
	cmd := exec.Command(analyze, append([]string{"verify"}, paths...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || bytes.Contains(out, []byte(dir)) {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	b, _ := os.ReadFile("systemd/reentrybot.service")
	settings := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			settings[k] = v
		}
	}
	for k, want := range map[string]string{"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes", "CapabilityBoundingSet": ""} {
		if v, ok := settings[k]; !ok || v != want {
			t.Errorf("%s=%q, want %q", k, v, want)
		}
	}
	if !strings.HasPrefix(settings["EnvironmentFile"], "/etc/") {
		t.Errorf("EnvironmentFile=%q", settings["EnvironmentFile"])
	}
	if d, err := time.ParseDuration(settings["TimeoutStopSec"]); err != nil || d <= app.ShutdownTimeout {
		t.Errorf("TimeoutStopSec=%q must exceed the bot's shutdown (%s)", settings["TimeoutStopSec"], app.ShutdownTimeout)
	}
}

// Caddy forwards the webhook and chat paths of the bot's site and nothing
// else of it; the desk's own site goes to the desk's listener only.
func TestCaddyExposesOnlyWebhooksAndDesk(t *testing.T) {
	b, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	sites := caddySites(string(b))
	bot, desk := sites["bot.example.org"], sites["desk.example.org"]
	if bot == "" || desk == "" {
		t.Fatalf("sites %v: want bot.example.org and desk.example.org", slices.Collect(maps.Keys(sites)))
	}
	m := regexp.MustCompile(`(?m)^\s*@webhooks path (.+)$`).FindStringSubmatch(bot)
	if m == nil {
		t.Fatal("no @webhooks path matcher")
	}
	paths := strings.Fields(m[1])
	if !slices.Contains(paths, app.WebhookPath) {
		t.Errorf("paths %v lack %s", paths, app.WebhookPath)
	}
	for _, p := range paths {
		if !slices.Contains([]string{app.WebhookPath, "/zalo/webhook", "/chat", "/chat/*"}, p) {
			t.Errorf("path %s is exposed", p)
		}
	}
	if n := strings.Count(bot, "reverse_proxy"); n != 1 {
		t.Errorf("bot site: %d reverse_proxy directives, want the one under @webhooks", n)
	}
	if !strings.Contains(bot, "reverse_proxy 127.0.0.1:8080") {
		t.Error("bot site does not proxy to the bot's listener")
	}
	if n := strings.Count(desk, "reverse_proxy"); n != 1 || !strings.Contains(desk, "reverse_proxy 127.0.0.1:8090") {
		t.Errorf("desk site must proxy to the desk's listener only:\n%s", desk)
	}
	// Server-sent events must not wait in Caddy's buffer.
	if !strings.Contains(desk, "flush_interval -1") {
		t.Error("desk site buffers live updates")
	}
}

// caddySites splits a Caddyfile into its top-level site blocks by name.
func caddySites(file string) map[string]string {
	sites := map[string]string{}
	depth, name := 0, ""
	var body strings.Builder
	for _, line := range strings.Split(file, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if depth == 0 && strings.HasSuffix(trimmed, "{") {
			name = strings.TrimSpace(strings.TrimSuffix(trimmed, "{"))
			body.Reset()
		} else if depth > 0 {
			body.WriteString(line + "\n")
		}
		depth += strings.Count(trimmed, "{") - strings.Count(trimmed, "}")
		if depth == 0 && name != "" {
			sites[name] = body.String()
			name = ""
		}
	}
	return sites
}

// Every reentrybot_ series the dashboard queries is one the bot exports.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var src []byte
	for _, f := range []string{"../app/health.go", "../bot/metrics.go"} {
		s, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, s...)
	}
	series := regexp.MustCompile(`reentrybot_[a-z_]+`)
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, name := range series.FindAllString(tg.Expr, -1) {
				base := strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count")
				short := strings.TrimPrefix(base, "reentrybot_")
				if !bytes.Contains(src, []byte(`"`+base+`"`)) && !bytes.Contains(src, []byte(`"`+short+`"`)) {
					t.Errorf("panel %q queries %s, which the bot does not export", p.Title, name)
				}
			}
		}
	}
}

// Every migration is named in CHANGELOG.md, so an operator knows which
// release changes the database.
func TestChangelogNamesEveryMigration(t *testing.T) {
	log, err := os.ReadFile(filepath.Join(root, "CHANGELOG.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	for _, f := range files {
		if !bytes.Contains(log, []byte("`"+filepath.Base(f)+"`")) {
			t.Errorf("CHANGELOG.md does not name %s", filepath.Base(f))
		}
	}
}
