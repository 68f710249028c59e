package desk

import (
	"encoding/base32"
	"net/url"
)

var base32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

func urlEscape(s string) string { return url.PathEscape(s) }
