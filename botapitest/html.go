package botapitest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Telegram's HTML parse mode, modelled on its documented rules and error
// texts: a fixed tag set, properly nested, "<" must be escaped, ">" is
// tolerated, only &lt; &gt; &amp; &quot; and numeric entities exist.
// One deliberate difference: Telegram keeps a bare "&" literally, this
// server rejects it, so bots that pass here escape correctly everywhere.

var htmlTags = map[string]models.MessageEntityType{
	"b": models.MessageEntityTypeBold, "strong": models.MessageEntityTypeBold,
	"i": models.MessageEntityTypeItalic, "em": models.MessageEntityTypeItalic,
	"u": models.MessageEntityTypeUnderline, "ins": models.MessageEntityTypeUnderline,
	"s": models.MessageEntityTypeStrikethrough, "strike": models.MessageEntityTypeStrikethrough, "del": models.MessageEntityTypeStrikethrough,
	"span": models.MessageEntityTypeSpoiler, "tg-spoiler": models.MessageEntityTypeSpoiler,
	"a":    models.MessageEntityTypeTextLink,
	"code": models.MessageEntityTypeCode, "pre": models.MessageEntityTypePre,
	"blockquote": models.MessageEntityTypeBlockquote,
	"tg-emoji":   models.MessageEntityTypeCustomEmoji,
}

type openTag struct {
	name   string
	offset int // UTF-16 offset in the output
	attrs  map[string]string
}

// parseHTML returns the plain text and its entities, or a non-empty
// problem in Telegram's wording (it follows "can't parse entities: ").
func parseHTML(src string) (string, []models.MessageEntity, string) {
	var (
		out      strings.Builder
		off      int // UTF-16 length of out
		stack    []openTag
		entities []models.MessageEntity
	)
	emit := func(r rune) {
		out.WriteRune(r)
		off += utf16Len(r)
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '&':
			r, n := decodeEntity(src[i:])
			if n == 0 {
				return "", nil, fmt.Sprintf("Character '&' at byte offset %d must be escaped as &amp;", i)
			}
			emit(r)
			i += n
			continue
		case '<':
		default:
			r, n := utf8.DecodeRuneInString(src[i:])
			emit(r)
			i += n
			continue
		}

		begin := i
		i++
		if i < len(src) && src[i] == '/' {
			i++
			j := i
			for i < len(src) && !isHTMLSpace(src[i]) && src[i] != '>' {
				i++
			}
			name := strings.ToLower(src[j:i])
			if len(stack) == 0 {
				return "", nil, fmt.Sprintf("Unexpected end tag at byte offset %d", begin)
			}
			for i < len(src) && isHTMLSpace(src[i]) {
				i++
			}
			if i >= len(src) || src[i] != '>' {
				return "", nil, fmt.Sprintf("Unclosed end tag at byte offset %d", begin)
			}
			i++
			top := stack[len(stack)-1]
			if name != "" && name != top.name {
				return "", nil, fmt.Sprintf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", begin, top.name, name)
			}
			stack = stack[:len(stack)-1]
			if e, ok := closeEntity(top, off, stack); ok {
				entities = append(entities, e)
			}
			continue
		}

		j := i
		for i < len(src) && !isHTMLSpace(src[i]) && src[i] != '>' {
			i++
		}
		if i >= len(src) {
			return "", nil, fmt.Sprintf("Unclosed start tag at byte offset %d", begin)
		}
		name := strings.ToLower(src[j:i])
		if _, ok := htmlTags[name]; !ok {
			return "", nil, fmt.Sprintf("Unsupported start tag %q at byte offset %d", name, begin)
		}
		attrs := map[string]string{}
		for {
			for i < len(src) && isHTMLSpace(src[i]) {
				i++
			}
			if i >= len(src) {
				return "", nil, fmt.Sprintf("Unclosed start tag at byte offset %d", begin)
			}
			if src[i] == '>' {
				i++
				break
			}
			k := i
			for i < len(src) && !isHTMLSpace(src[i]) && src[i] != '=' && src[i] != '>' {
				i++
			}
			attr := strings.ToLower(src[k:i])
			if attr == "" {
				return "", nil, fmt.Sprintf("Empty attribute name in the tag %q at byte offset %d", name, begin)
			}
			for i < len(src) && isHTMLSpace(src[i]) {
				i++
			}
			if i >= len(src) || src[i] != '=' {
				if name == "blockquote" && attr == "expandable" {
					attrs[attr] = ""
					continue
				}
				return "", nil, fmt.Sprintf("Expected equal sign in declaration of an attribute of the tag %q at byte offset %d", name, begin)
			}
			i++
			for i < len(src) && isHTMLSpace(src[i]) {
				i++
			}
			if i >= len(src) {
				return "", nil, fmt.Sprintf("Unclosed start tag at byte offset %d", begin)
			}
			var val string
			if q := src[i]; q == '"' || q == '\'' {
				end := strings.IndexByte(src[i+1:], q)
				if end < 0 {
					return "", nil, fmt.Sprintf("Unclosed start tag at byte offset %d", begin)
				}
				val = decodeAttr(src[i+1 : i+1+end])
				i += end + 2
			} else {
				k := i
				for i < len(src) && (isAlnum(src[i]) || src[i] == '.' || src[i] == '-') {
					i++
				}
				if k == i {
					return "", nil, fmt.Sprintf("Expected quote in the value of attribute %q of the tag %q at byte offset %d", attr, name, begin)
				}
				val = src[k:i]
			}
			attrs[attr] = val
		}
		switch name {
		case "span":
			if attrs["class"] != "tg-spoiler" {
				return "", nil, fmt.Sprintf("Tag \"span\" must have class \"tg-spoiler\" at byte offset %d", begin)
			}
		case "tg-emoji":
			if _, err := strconv.ParseInt(attrs["emoji-id"], 10, 64); err != nil {
				return "", nil, fmt.Sprintf("Custom emoji entity must contain a valid custom emoji identifier at byte offset %d", begin)
			}
		}
		stack = append(stack, openTag{name: name, offset: off, attrs: attrs})
	}
	if len(stack) > 0 {
		return "", nil, fmt.Sprintf("Can't find end tag corresponding to start tag %q", stack[len(stack)-1].name)
	}
	sort.SliceStable(entities, func(a, b int) bool {
		if entities[a].Offset != entities[b].Offset {
			return entities[a].Offset < entities[b].Offset
		}
		return entities[a].Length > entities[b].Length
	})
	return out.String(), entities, ""
}

func closeEntity(t openTag, end int, parents []openTag) (models.MessageEntity, bool) {
	e := models.MessageEntity{Type: htmlTags[t.name], Offset: t.offset, Length: end - t.offset}
	if e.Length == 0 {
		return e, false
	}
	switch t.name {
	case "a":
		e.URL = t.attrs["href"]
		if e.URL == "" {
			return e, false
		}
	case "blockquote":
		if _, ok := t.attrs["expandable"]; ok {
			e.Type = models.MessageEntityTypeExpandableBlockquote
		}
	case "tg-emoji":
		e.CustomEmojiID = t.attrs["emoji-id"]
	case "pre":
		e.Language = t.attrs["language"]
	case "code":
		// <pre><code class="language-go"> is a pre block with a language.
		if n := len(parents); n > 0 && parents[n-1].name == "pre" {
			if lang, ok := strings.CutPrefix(t.attrs["class"], "language-"); ok {
				parents[n-1].attrs["language"] = lang
			}
			return e, false
		}
	}
	return e, true
}

// decodeEntity decodes an HTML entity at the start of s, returning the rune
// and bytes consumed, or n == 0 if s does not start with a valid one.
func decodeEntity(s string) (rune, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 12 {
		return 0, 0
	}
	name := s[1:end]
	switch name {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	}
	num, ok := strings.CutPrefix(name, "#")
	if !ok || num == "" {
		return 0, 0
	}
	base := 10
	if h, ok := strings.CutPrefix(strings.ToLower(num), "x"); ok {
		num, base = h, 16
	}
	v, err := strconv.ParseUint(num, base, 32)
	if err != nil || v == 0 || v > unicode.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, 0
	}
	return rune(v), end + 1
}

// decodeAttr decodes entities inside attribute values, leniently.
func decodeAttr(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '&' {
			if r, n := decodeEntity(s[i:]); n > 0 {
				b.WriteRune(r)
				i += n
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func isHTMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// utf16Count counts UTF-16 code units, the unit of Telegram's length limits
// and entity offsets.
func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

// trimFormatted strips leading and trailing whitespace as Telegram does,
// shifting entity offsets and dropping entities that become empty.
func trimFormatted(text string, ents []models.MessageEntity) (string, []models.MessageEntity) {
	trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
	lead := utf16Count(text[:len(text)-len(trimmed)])
	trimmed = strings.TrimRightFunc(trimmed, unicode.IsSpace)
	if lead == 0 && len(trimmed) == len(text) {
		return text, ents
	}
	n := utf16Count(trimmed)
	var out []models.MessageEntity
	for _, e := range ents {
		start, end := max(e.Offset-lead, 0), min(e.Offset+e.Length-lead, n)
		if end > start {
			e.Offset, e.Length = start, end-start
			out = append(out, e)
		}
	}
	return trimmed, out
}
