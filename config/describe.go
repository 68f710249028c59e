package config

import (
	"net/url"
	"slices"
	"strings"
)

// Setting is one variable's effective value, as `reentrybot config` shows it.
type Setting struct {
	Name, Value string
	Source      string // "environment", "file PATH" or "default"
}

// Describe lists every variable's effective value and where it came from,
// with secrets masked so the output can be pasted into a ticket.
func Describe(get Getenv) []Setting {
	out := make([]Setting, 0, len(Vars))
	for _, v := range Vars {
		s := Setting{Name: v.Name, Value: v.Default, Source: "default"}
		if path, ok := get(v.Name + "_FILE"); ok && strings.TrimSpace(path) != "" && slices.Contains(secrets, v.Name) {
			s.Source = "file " + strings.TrimSpace(path)
			s.Value = "(read from the file)"
			if c, err := Load(onlyFile(get, v.Name)); err == nil {
				s.Value = c.secret(v.Name)
			}
		} else if val, ok := get(v.Name); ok && strings.TrimSpace(val) != "" {
			s.Value, s.Source = strings.TrimSpace(val), "environment"
		}
		if slices.Contains(secrets, v.Name) && s.Source == "environment" {
			s.Value = mask(v.Name, s.Value)
		}
		out = append(out, s)
	}
	return out
}

// onlyFile hides every variable but name's _FILE, to read that one file
// through Load's checks.
func onlyFile(get Getenv, name string) Getenv {
	return func(k string) (string, bool) {
		if k == name+"_FILE" {
			return get(k)
		}
		return "", false
	}
}

func (c Config) secret(name string) string {
	switch name {
	case "TELEGRAM_BOT_TOKEN":
		return mask(name, c.TelegramToken)
	case "DATABASE_URL":
		return mask(name, c.DatabaseURL)
	}
	return mask(name, c.WebhookSecret)
}

// mask hides a secret but keeps what helps recognise it: the bot's id
// (public: it is the number before the colon) and the database's host.
func mask(name, v string) string {
	if v == "" {
		return ""
	}
	switch name {
	case "TELEGRAM_BOT_TOKEN":
		if id, _, ok := strings.Cut(v, ":"); ok {
			return id + ":****"
		}
	case "DATABASE_URL":
		if u, err := url.Parse(v); err == nil {
			q := u.Query()
			if q.Has("password") {
				q.Set("password", "xxxxx")
				u.RawQuery = q.Encode()
			}
			return u.Redacted()
		}
	}
	return "****"
}
