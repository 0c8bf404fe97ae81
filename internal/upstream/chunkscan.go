package upstream

import (
	"bytes"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanChunk is decodeChunk's fast path: a hand-written scanner for the one shape n8n writes (a
// flat object with string type/content and a metadata object), because encoding/json's reflection
// cost ~4 µs and a dozen allocations per streamed token.
//
// ok is false whenever the line is not something the scanner is sure to decode exactly as
// encoding/json would; decodeChunk then runs encoding/json itself, so every odd input (and every
// error) keeps today's behaviour. The scanner validates all the JSON it walks, and gives up on:
//   - a line that is not an object, invalid JSON, or anything but whitespace after the object;
//   - a non-string type or nodeId, content that is not a string or null, metadata that is not an
//     object (encoding/json tolerates these with a type error or re-marshals the content);
//   - a key among type/content/metadata (or nodeId/runIndex inside metadata) seen twice, or
//     matching one only case-insensitively, or any key at those two levels containing an escape
//     or a non-ASCII byte (encoding/json unescapes keys and folds case, Unicode included);
//   - nesting deeper than maxScanDepth inside a skipped value.
//
// Strings keep encoding/json's rules: escapes are decoded, lone surrogates and invalid UTF-8 bytes
// become U+FFFD. NodeID and RunIndex alias line unless NodeID needed unescaping.
func scanChunk(line []byte) (c wireChunk, ok bool) {
	s := chunkScanner{b: line}
	s.space()
	if !s.next('{') {
		return c, false
	}
	var seen uint8
	ok = s.members(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "type":
			bit = 1
			tok, esc, high, ok := s.str()
			if !ok {
				return false
			}
			c.Type = typeString(tok, esc, high)
		case "content":
			bit = 2
			if s.literal("null") {
				break // content null reads as no content, as contentText(nil) does
			}
			tok, esc, high, ok := s.str()
			if !ok {
				return false
			}
			c.Text = textString(tok, esc, high)
		case "metadata":
			bit = 4
			if !s.metadata(&c) {
				return false
			}
		default:
			return !foldsToAny(key, "type", "content", "metadata") && s.skipValue()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	s.space()
	return c, ok && s.i == len(s.b)
}

// metadata scans the metadata object for nodeId and runIndex.
func (s *chunkScanner) metadata(c *wireChunk) bool {
	if !s.next('{') {
		return false
	}
	var seen uint8
	return s.members(func(key []byte) bool {
		var bit uint8
		switch string(key) {
		case "nodeId":
			bit = 1
			tok, esc, high, ok := s.str()
			if !ok {
				return false
			}
			c.NodeID = bytesValue(tok, esc, high)
		case "runIndex":
			bit = 2
			start := s.i
			if !s.skipValue() {
				return false
			}
			c.RunIndex = s.b[start:s.i] // raw bytes, as json.RawMessage keeps them
		default:
			return !foldsToAny(key, "nodeId", "runIndex") && s.skipValue()
		}
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

// chunkScanner walks one line; every method returns false on anything it does not accept.
type chunkScanner struct {
	b []byte
	i int
}

// maxScanDepth bounds the nesting of a skipped value (one bit of skipValue's stack per level);
// deeper lines are left to encoding/json, whose own limit is far higher.
const maxScanDepth = 64

func (s *chunkScanner) space() {
	b, i := s.b, s.i
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	s.i = i
}

// next consumes c, after optional whitespace.
func (s *chunkScanner) next(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// members scans the members of an object whose "{" was consumed, through its "}". member is
// called with each key (plain ASCII: anything else fails) with the scanner at the value.
func (s *chunkScanner) members(member func(key []byte) bool) bool {
	if s.next('}') {
		return true
	}
	for {
		s.space()
		tok, esc, high, ok := s.str()
		if !ok || esc || high || !s.next(':') {
			return false
		}
		s.space()
		if !member(tok[1 : len(tok)-1]) {
			return false
		}
		if s.next('}') {
			return true
		}
		if !s.next(',') {
			return false
		}
	}
}

// str scans a string token (quotes included) and reports whether it holds escapes or bytes
// >= 0x80. Like encoding/json's scanner it rejects control bytes and malformed escapes but lets
// invalid UTF-8 through (decoding replaces it).
func (s *chunkScanner) str() (tok []byte, esc, high, ok bool) {
	b, start := s.b, s.i
	if start >= len(b) || b[start] != '"' {
		return nil, false, false, false
	}
	for i := start + 1; ; {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			return nil, false, false, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return b[start:s.i], esc, high, true
		case c >= utf8.RuneSelf:
			high = true
			i++
		case c == '\\' && i+1 < len(b):
			esc = true
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+5 >= len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return nil, false, false, false
				}
				i += 6
			default:
				return nil, false, false, false
			}
		default: // a control byte, or a backslash ending the line
			return nil, false, false, false
		}
	}
}

// plainByte marks the bytes a string can hold with no further check: ASCII except control
// bytes, the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// literal consumes word (true, false or null) if it is next.
func (s *chunkScanner) literal(word string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// number scans a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *chunkScanner) number() bool {
	s.skip('-')
	switch {
	case s.skip('0'):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.skip('.') && !s.digits() {
		return false
	}
	if s.skip('e') || s.skip('E') {
		if !s.skip('+') {
			s.skip('-')
		}
		return s.digits()
	}
	return true
}

func (s *chunkScanner) skip(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// digits consumes one or more decimal digits.
func (s *chunkScanner) digits() bool {
	b, i := s.b, s.i
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	ok := i > s.i
	s.i = i
	return ok
}

// skipValue scans one value of any type, validating it. Nesting is tracked without recursion:
// bit d of open is 1 when level d is an object, 0 for an array.
func (s *chunkScanner) skipValue() bool {
	var open uint64
	depth := 0
	for {
		// A value starts here.
		s.space()
		if s.i >= len(s.b) {
			return false
		}
		switch c := s.b[s.i]; {
		case c == '{' || c == '[':
			if depth == maxScanDepth {
				return false
			}
			s.i++
			open = open&^(1<<depth) | uint64(b2u(c == '{'))<<depth
			depth++
			if s.next(c + 2) { // '}' and ']' are two past '{' and '['
				depth--
				break
			}
			if c == '{' && !s.key() {
				return false
			}
			continue
		case c == '"':
			if _, _, _, ok := s.str(); !ok {
				return false
			}
		case c == '-' || '0' <= c && c <= '9':
			if !s.number() {
				return false
			}
		case !s.literal("true") && !s.literal("false") && !s.literal("null"):
			return false
		}
		// A value ended: close containers until another value is due or the outermost is done.
		for {
			if depth == 0 {
				return true
			}
			inObject := open&(1<<(depth-1)) != 0
			if s.next(',') {
				if inObject && !s.key() {
					return false
				}
				break
			}
			if (inObject && s.next('}')) || (!inObject && s.next(']')) {
				depth--
				continue
			}
			return false
		}
	}
}

// key scans `"name":` inside a skipped object.
func (s *chunkScanner) key() bool {
	s.space()
	_, _, _, ok := s.str()
	return ok && s.next(':')
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// foldsToAny reports whether an ASCII key equals one of names ignoring case: encoding/json would
// then match it to that field.
func foldsToAny(key []byte, names ...string) bool {
	for _, n := range names {
		if len(key) == len(n) && bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// typeString returns the chunk type, without allocating for the known ones.
func typeString(tok []byte, esc, high bool) string {
	if !esc && !high {
		switch string(tok[1 : len(tok)-1]) {
		case "item":
			return "item"
		case "begin":
			return "begin"
		case "end":
			return "end"
		case "error":
			return "error"
		case "keepalive":
			return "keepalive"
		}
	}
	return textString(tok, esc, high)
}

// textString decodes a string token with one allocation (the string).
func textString(tok []byte, esc, high bool) string {
	raw := tok[1 : len(tok)-1]
	if !esc && (!high || utf8.Valid(raw)) {
		return string(raw)
	}
	var buf [512]byte // stays on the stack: only copied by the conversion
	return string(appendUnquoted(buf[:0], raw))
}

// bytesValue decodes a string token, aliasing it when no decoding is needed.
func bytesValue(tok []byte, esc, high bool) []byte {
	raw := tok[1 : len(tok)-1]
	if !esc && (!high || utf8.Valid(raw)) {
		return raw
	}
	return appendUnquoted(make([]byte, 0, len(raw)+utf8.UTFMax), raw)
}

// appendUnquoted appends the decoded contents of a string token already validated by str. It
// follows encoding/json's unquoteBytes (decode.go): a \u escape that is a surrogate but not the
// first half of a valid pair becomes U+FFFD, and so does each byte of invalid UTF-8.
func appendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\':
			switch e := s[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(s[i+2:])
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if pair := utf16.DecodeRune(r, hex4(s[i+2:])); pair != unicode.ReplacementChar {
							dst = utf8.AppendRune(dst, pair)
							i += 6
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			j := i + 1
			for j < len(s) && s[j] != '\\' && s[j] < utf8.RuneSelf {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
		default:
			r, n := utf8.DecodeRune(s[i:]) // (RuneError, 1) for an invalid byte
			dst = utf8.AppendRune(dst, r)
			i += n
		}
	}
	return dst
}

// hex4 decodes four hex digits already validated by str.
func hex4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
