package mongo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// Documents are converted between JSON and BSON here rather than through
// Extended JSON (bson.UnmarshalExtJSON / bson.MarshalExtJSON): Extended JSON
// reads objects such as {"$numberLong": "5"}, {"$oid": ...} or {"$date": ...}
// as typed values, so a document holding a map with such a key (say, from user
// input) would be silently changed or refused. The conversion below gives
// exactly what Extended JSON gives for ordinary JSON — strings, booleans, null,
// int32 for integers that fit, int64 for larger ones, double otherwise,
// embedded documents and arrays, in the JSON's key order — and nothing else.
//
// Key escaping: MongoDB reserves keys that start with '$' and gives '.' a
// meaning in paths (FerretDB 1.x refuses both outright), and BSON keys cannot
// hold NUL. Such keys are stored escaped, at any depth: '%' as "%25", '.' as
// "%2E", NUL as "%00" and a leading '$' as "%24"; at the top level the keys
// "_id" and "_v", which the store itself uses, become "%5Fid" and "%5Fv".
// Reading reverses this. Ordinary keys, including every declared field (see
// store.ValidName), are stored unchanged, so queries and indexes see them as
// they are.

// encode turns doc into the BSON document stored for it: _id, _v, then the
// fields of doc's JSON object.
func encode(id string, version int64, doc any) (bson.D, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("document must encode to a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the opening '{'
		return nil, fmt.Errorf("document to BSON: %w", err)
	}
	fields, err := readObject(dec, true)
	if err != nil {
		return nil, fmt.Errorf("document to BSON: %w", err)
	}
	d := make(bson.D, 0, len(fields)+2)
	d = append(d, bson.E{Key: "_id", Value: id}, bson.E{Key: "_v", Value: version})
	return append(d, fields...), nil
}

// readObject reads the members of a JSON object whose '{' has been read.
func readObject(dec *json.Decoder, top bool) (bson.D, error) {
	d := bson.D{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			return d, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("unexpected %v in object", tok)
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := readValue(dec, tok)
		if err != nil {
			return nil, err
		}
		d = append(d, bson.E{Key: escapeKey(key, top), Value: v})
	}
}

// readValue converts the JSON value that starts with tok.
func readValue(dec *json.Decoder, tok json.Token) (any, error) {
	switch x := tok.(type) {
	case string, bool, nil:
		return x, nil
	case json.Number:
		return number(x)
	case json.Delim:
		switch x {
		case '{':
			return readObject(dec, false)
		case '[':
			a := bson.A{}
			for {
				tok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				if tok == json.Delim(']') {
					return a, nil
				}
				v, err := readValue(dec, tok)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
		}
	}
	return nil, fmt.Errorf("unexpected %v", tok)
}

// number converts a JSON number as relaxed Extended JSON does: an integer
// literal becomes int32 if it fits, else int64 if it fits, anything else a
// double.
func number(n json.Number) (any, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			if i >= math.MinInt32 && i <= math.MaxInt32 {
				return int32(i), nil
			}
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("number %s: %w", s, err)
	}
	return f, nil
}

// escapeKey escapes a document key for storage (see the comment at the top of
// this file).
func escapeKey(k string, top bool) string {
	if top && (k == "_id" || k == "_v") {
		return "%5F" + k[1:]
	}
	if !strings.ContainsAny(k, "%.\x00") && !strings.HasPrefix(k, "$") {
		return k
	}
	var sb strings.Builder
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == '%':
			sb.WriteString("%25")
		case c == '.':
			sb.WriteString("%2E")
		case c == 0:
			sb.WriteString("%00")
		case c == '$' && i == 0:
			sb.WriteString("%24")
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// unescapeKey reverses escapeKey. A '%' not followed by two hex digits (a
// key written by something else) is kept as it is.
func unescapeKey(k string) string {
	if !strings.Contains(k, "%") {
		return k
	}
	b := make([]byte, 0, len(k))
	for i := 0; i < len(k); i++ {
		if k[i] == '%' && i+2 < len(k) {
			if hi, ok := unhex(k[i+1]); ok {
				if lo, ok := unhex(k[i+2]); ok {
					b = append(b, hi<<4|lo)
					i += 2
					continue
				}
			}
		}
		b = append(b, k[i])
	}
	return string(b)
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decode splits a stored document into its JSON (without _id and _v, keys
// unescaped) and its version.
func decode(raw bson.Raw) ([]byte, int64, error) {
	elems, err := bsoncore.Document(raw).Elements()
	if err != nil {
		return nil, 0, fmt.Errorf("stored document: %w", err)
	}
	var version int64
	buf := make([]byte, 0, len(raw)+len(raw)/4)
	buf = append(buf, '{')
	n := 0
	for _, e := range elems {
		switch e.Key() {
		case "_id":
			continue
		case "_v":
			val := e.Value()
			switch val.Type {
			case bsontype.Int64:
				version = val.Int64()
			case bsontype.Int32:
				version = int64(val.Int32())
			case bsontype.Double:
				version = int64(val.Double())
			default:
				return nil, 0, fmt.Errorf("stored document: _v has type %s", val.Type)
			}
			continue
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		n++
		buf = appendString(buf, unescapeKey(e.Key()))
		buf = append(buf, ':')
		if buf, err = appendValue(buf, e.Value()); err != nil {
			return nil, 0, fmt.Errorf("stored document, key %q: %w", e.Key(), err)
		}
	}
	return append(buf, '}'), version, nil
}

// appendValue appends v as JSON. Types that JSON does not produce (written by
// other tools) are appended as relaxed Extended JSON.
func appendValue(buf []byte, v bsoncore.Value) ([]byte, error) {
	switch v.Type {
	case bsontype.String:
		return appendString(buf, v.StringValue()), nil
	case bsontype.Int32:
		return strconv.AppendInt(buf, int64(v.Int32()), 10), nil
	case bsontype.Int64:
		return strconv.AppendInt(buf, v.Int64(), 10), nil
	case bsontype.Double:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			break
		}
		// As encoding/json formats a float64, so that 3.0 reads back into
		// an integer field too.
		format := byte('f')
		if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
			format = 'e'
		}
		return strconv.AppendFloat(buf, f, format, -1, 64), nil
	case bsontype.Boolean:
		return strconv.AppendBool(buf, v.Boolean()), nil
	case bsontype.Null, bsontype.Undefined:
		return append(buf, "null"...), nil
	case bsontype.EmbeddedDocument:
		elems, err := v.Document().Elements()
		if err != nil {
			return nil, err
		}
		buf = append(buf, '{')
		for i, e := range elems {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, unescapeKey(e.Key()))
			buf = append(buf, ':')
			if buf, err = appendValue(buf, e.Value()); err != nil {
				return nil, err
			}
		}
		return append(buf, '}'), nil
	case bsontype.Array:
		vals, err := v.Array().Values()
		if err != nil {
			return nil, err
		}
		buf = append(buf, '[')
		for i, e := range vals {
			if i > 0 {
				buf = append(buf, ',')
			}
			if buf, err = appendValue(buf, e); err != nil {
				return nil, err
			}
		}
		return append(buf, ']'), nil
	}
	// Anything else: relaxed Extended JSON of a one-field document, unwrapped.
	doc := bsoncore.BuildDocumentFromElements(nil, bsoncore.AppendValueElement(nil, "v", v))
	b, err := bson.MarshalExtJSON(bson.Raw(doc), false, false)
	if err != nil {
		return nil, err
	}
	inner, ok := bytes.CutPrefix(b, []byte(`{"v":`))
	if !ok || len(inner) == 0 || inner[len(inner)-1] != '}' {
		return nil, fmt.Errorf("value of type %s: unexpected Extended JSON %s", v.Type, b)
	}
	return append(buf, inner[:len(inner)-1]...), nil
}

// appendString appends s as a JSON string, escaping only what JSON requires.
func appendString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
