// Package i18n renders the texts people see, from message catalogs embedded
// in the binary. Vietnamese is the default; English is complete beside it.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Default is the language used when a person's language is unknown.
const Default = "vi"

//go:embed catalog/*.toml
var catalogs embed.FS

// Catalog holds every message in every supported language.
type Catalog struct {
	bundle *goi18n.Bundle
	keys   map[string]map[string]bool // lang → message ids present
	plural map[string]bool            // lang/id → has a "one" form
	log    *slog.Logger
	// One localizer per language (a Localizer only reads the bundle), and
	// the messages rendered without parameters (most button labels and
	// prompts), kept once rendered: making a localizer and running
	// go-i18n's template for every label was about 6 % of the bot's CPU
	// per update (BENCHMARKS.md).
	locs  map[string]*goi18n.Localizer
	plain sync.Map // lang/id → string
}

// Load parses the embedded catalogs; files are named <area>.<lang>.toml.
func Load(log *slog.Logger) (*Catalog, error) {
	if log == nil {
		log = slog.Default()
	}
	b := goi18n.NewBundle(language.Vietnamese)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	c := &Catalog{bundle: b, keys: map[string]map[string]bool{}, plural: map[string]bool{}, log: log}
	err := fs.WalkDir(catalogs, "catalog", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		mf, err := b.LoadMessageFileFS(catalogs, path)
		if err != nil {
			return fmt.Errorf("loading %s: %w", path, err)
		}
		lang := Normalize(mf.Tag.String())
		if c.keys[lang] == nil {
			c.keys[lang] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			c.keys[lang][m.ID] = true
			if m.One != "" {
				c.plural[lang+"/"+m.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.locs = map[string]*goi18n.Localizer{}
	for lang := range c.keys {
		c.locs[lang] = goi18n.NewLocalizer(b, lang)
	}
	return c, nil
}

// Langs lists the languages with a catalog, the default first.
func (c *Catalog) Langs() []string {
	out := make([]string, 0, len(c.keys))
	for l := range c.keys {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == Default) != (out[j] == Default) {
			return out[i] == Default
		}
		return out[i] < out[j]
	})
	return out
}

// Keys lists the message ids of one language.
func (c *Catalog) Keys(lang string) []string {
	out := make([]string, 0, len(c.keys[lang]))
	for k := range c.keys[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Has reports whether lang has the message id.
func (c *Catalog) Has(lang, id string) bool { return c.keys[Normalize(lang)][id] }

// Render returns the message in lang, or an error when the message is
// missing in that language or its template fails.
func (c *Catalog) Render(lang, id string, params map[string]any) (string, error) {
	lang = Normalize(lang)
	if !c.keys[lang][id] {
		return "", fmt.Errorf("message %q missing in %q", id, lang)
	}
	key := lang + "/" + id
	if len(params) == 0 {
		if s, ok := c.plain.Load(key); ok {
			return s.(string), nil
		}
	}
	cfg := &goi18n.LocalizeConfig{MessageID: id, TemplateData: params}
	// Only plural messages take the count as a plural selector: go-i18n
	// refuses a count for a message without a "one" form.
	if n, ok := params["Count"]; ok && c.plural[key] {
		cfg.PluralCount = n
	}
	s, err := c.locs[lang].Localize(cfg)
	if err != nil {
		return "", fmt.Errorf("rendering %q in %q: %w", id, lang, err)
	}
	if len(params) == 0 {
		c.plain.Store(key, s)
	}
	return s, nil
}

// T renders like Render, but never fails: a missing message falls back to
// the default language, then to the id itself, and the miss is logged.
func (c *Catalog) T(lang, id string, params map[string]any) string {
	s, err := c.Render(lang, id, params)
	if err == nil {
		return s
	}
	c.log.Error("i18n", "err", err)
	if Normalize(lang) != Default {
		if s, err := c.Render(Default, id, params); err == nil {
			return s
		}
	}
	return id
}

// Normalize maps a Telegram language_code ("en-US", "vi") to a catalog
// language; anything not English is served in Vietnamese.
func Normalize(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if code == "en" || strings.HasPrefix(code, "en-") {
		return "en"
	}
	return Default
}
