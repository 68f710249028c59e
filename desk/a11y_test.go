package desk_test

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// accessibilityProblems lists what keeps a desk page from working for a
// screen reader, a keyboard or a browser without JavaScript: a form field
// without a label, an error not announced (class "error" without
// role=alert), an inline or foreign script or an inline handler, an image without alt text,
// a page without its language, a button without text, an id used twice
// (a label would point at the wrong field). Every page the desk tests'
// browser reads goes through it (rig's browser.read); other packages'
// tests can call it on any page they render.
func accessibilityProblems(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"not HTML: " + err.Error()}
	}
	var problems []string
	labelFor := map[string]bool{}
	ids := map[string]int{}
	type field struct {
		desc, id string
		labelled bool
	}
	var fields []field
	var walk func(n *html.Node, inLabel bool)
	walk = func(n *html.Node, inLabel bool) {
		if n.Type == html.ElementNode {
			if id := attr(n, "id"); id != "" {
				ids[id]++
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					problems = append(problems, "inline script "+a.Key+" on <"+n.Data+">")
				}
			}
			switch n.Data {
			case "html":
				if attr(n, "lang") == "" {
					problems = append(problems, "<html> without lang")
				}
			case "script":
				// Only the desk's own deferred file may add to a page
				// (live.js): the page must work before and without it.
				src, _ := attrOK(n, "src")
				if _, deferred := attrOK(n, "defer"); !strings.HasPrefix(src, "/") || strings.HasPrefix(src, "//") || !deferred || n.FirstChild != nil {
					problems = append(problems, "a <script> other than the desk's own deferred file: the desk works without JavaScript")
				}
			case "img":
				if _, ok := attrOK(n, "alt"); !ok {
					problems = append(problems, "<img> without alt")
				}
			case "label":
				if f := attr(n, "for"); f != "" {
					labelFor[f] = true
				}
				inLabel = true
			case "button":
				if strings.TrimSpace(text(n)) == "" && attr(n, "aria-label") == "" {
					problems = append(problems, "a <button> without text")
				}
			case "input", "select", "textarea":
				typ := strings.ToLower(attr(n, "type"))
				if n.Data == "input" && slices.Contains([]string{"hidden", "submit", "button", "reset", "image"}, typ) {
					break
				}
				desc := "<" + n.Data + " name=" + attr(n, "name") + ">"
				fields = append(fields, field{desc, attr(n, "id"),
					inLabel || attr(n, "aria-label") != "" || attr(n, "aria-labelledby") != ""})
			}
			if slices.Contains(strings.Fields(attr(n, "class")), "error") && attr(n, "role") != "alert" {
				problems = append(problems, "an error shown without role=alert: "+strings.TrimSpace(text(n)))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel)
		}
	}
	walk(doc, false)
	for _, f := range fields {
		if !f.labelled && (f.id == "" || !labelFor[f.id]) {
			problems = append(problems, f.desc+" without a label")
		}
	}
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, "id "+id+" used "+string(rune('0'+min(n, 9)))+" times")
		}
	}
	slices.Sort(problems)
	return problems
}

// checkAccessible fails the test for each problem of a page.
func checkAccessible(t testing.TB, path, page string) {
	t.Helper()
	for _, p := range accessibilityProblems(page) {
		t.Errorf("page %s: %s", path, p)
	}
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// The checker finds what it is there to find (a checker that passes
// everything would make every page test pass).
func TestAccessibilityProblems(t *testing.T) {
	const head = `<!doctype html><html lang="vi"><head><title>x</title></head><body>`
	tests := []struct {
		name, body string
		want       []string
	}{
		{"labelled by for", `<label for="a">A</label><input id="a" name="a">`, nil},
		{"labelled by nesting", `<label>B <input name="b"></label>`, nil},
		{"labelled by aria", `<textarea name="c" aria-label="C"></textarea>`, nil},
		{"hidden and submit need none", `<input type="hidden" name="csrf"><input type="submit" value="Gửi">`, nil},
		{"input without label", `<input id="d" name="d">`, []string{"<input name=d> without a label"}},
		{"label for another id", `<label for="x">X</label><select id="e" name="e"></select>`, []string{"<select name=e> without a label"}},
		{"error not announced", `<p class="error">Sai mật khẩu</p>`, []string{"an error shown without role=alert: Sai mật khẩu"}},
		{"error announced", `<p class="error" role="alert">Sai</p>`, nil},
		{"inline script", `<script>alert(1)</script>`, []string{"a <script> other than the desk's own deferred file: the desk works without JavaScript"}},
		{"foreign script", `<script src="//cdn.example/x.js" defer></script>`, []string{"a <script> other than the desk's own deferred file: the desk works without JavaScript"}},
		{"blocking script", `<script src="/live.js"></script>`, []string{"a <script> other than the desk's own deferred file: the desk works without JavaScript"}},
		{"own deferred script", `<script src="/live.js" defer></script>`, nil},
		{"inline handler", `<a href="#" onclick="x()">a</a>`, []string{"inline script onclick on <a>"}},
		{"image without alt", `<img src="data:,">`, []string{"<img> without alt"}},
		{"empty button", `<button type="submit"> </button>`, []string{"a <button> without text"}},
		{"id twice", `<label for="f">F</label><input id="f" name="f"><input id="f" name="g" aria-label="G">`, []string{"id f used 2 times"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := accessibilityProblems(head + tt.body + `</body></html>`)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := accessibilityProblems(`<!doctype html><html><body></body></html>`); !slices.Equal(got, []string{"<html> without lang"}) {
		t.Errorf("no lang: %q", got)
	}
}
