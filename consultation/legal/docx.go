package legal

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"tuongtac/vntext"
)

// DOCX files are read with archive/zip and encoding/xml only, under limits
// checked before anything is unpacked: the file's size, the number of
// entries, the declared uncompressed size of each entry read and of all
// entries together; and while unpacking, the bytes actually produced (a
// declared size may lie). Only the main document part and its numbering
// definitions are read.

var (
	zipMagic   = []byte("PK\x03\x04")
	oleMagic   = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	errTooMuch = ErrUnpackedTooLarge
)

// DOCXParagraphs extracts the text of a DOCX file, one cleaned line per
// paragraph (a line break inside a paragraph starts another line), with the
// numbers Word's automatic numbering shows ("1.", "a)") put back in front of
// the paragraphs that carry them. Deleted text of tracked changes and field
// codes are left out. Errors are ErrFileTooLarge, ErrLegacyDoc, ErrNotZip,
// ErrNotDOCX, ErrTooManyEntries, ErrUnpackedTooLarge, ErrCorrupt,
// ErrTextTooLong and ErrEmpty.
func DOCXParagraphs(data []byte, lim Limits) ([]string, error) {
	lim = lim.orDefault()
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, ErrFileTooLarge
	}
	if bytes.HasPrefix(data, oleMagic) {
		return nil, ErrLegacyDoc
	}
	if !bytes.HasPrefix(data, zipMagic) {
		return nil, ErrNotZip
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotZip, err)
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, ErrTooManyEntries
	}
	files := make(map[string]*zip.File, len(zr.File))
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(lim.MaxTotalBytes) {
			return nil, ErrUnpackedTooLarge
		}
		files[f.Name] = f
	}
	main := "word/document.xml"
	if f := files["_rels/.rels"]; f != nil {
		if target, err := officeDocument(f, lim); err != nil {
			return nil, err
		} else if target != "" {
			main = target
		}
	}
	doc := files[main]
	if doc == nil {
		return nil, ErrNotDOCX
	}
	var num *numbering
	if f := files[path.Join(path.Dir(main), "numbering.xml")]; f != nil {
		if num, err = readNumbering(f, lim); err != nil {
			return nil, err
		}
	}
	return readDocument(doc, num, lim)
}

// capReader fails with ErrUnpackedTooLarge once more than left bytes come
// out of r.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, errTooMuch
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// open opens an archive entry for reading under the limits.
func open(f *zip.File, lim Limits) (io.ReadCloser, io.Reader, error) {
	if f.UncompressedSize64 > uint64(lim.MaxEntryBytes) {
		return nil, nil, ErrUnpackedTooLarge
	}
	rc, err := f.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, f.Name, err)
	}
	return rc, &capReader{r: rc, left: lim.MaxEntryBytes}, nil
}

// xmlErr classifies an error met while decoding an entry.
func xmlErr(name string, err error) error {
	if errors.Is(err, errTooMuch) {
		return ErrUnpackedTooLarge
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// officeDocument reads the package relationships for the main document's
// path ("" if none is named).
func officeDocument(f *zip.File, lim Limits) (string, error) {
	rc, r, err := open(f, lim)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	dec := xml.NewDecoder(r)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", xmlErr(f.Name, err)
		}
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "Relationship" && strings.HasSuffix(attr(e, "Type"), "/officeDocument") {
			return strings.TrimPrefix(path.Clean("/"+attr(e, "Target")), "/"), nil
		}
	}
}

// numbering holds Word's list definitions: the format of each level.
type numbering struct {
	abstractOf map[string]string         // numId -> abstractNumId
	levels     map[string]map[int]numLvl // abstractNumId -> level
	starts     map[string]map[int]int    // numId -> level -> start override
}

type numLvl struct {
	start   int
	format  string
	pattern string
}

func readNumbering(f *zip.File, lim Limits) (*numbering, error) {
	rc, r, err := open(f, lim)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n := &numbering{abstractOf: map[string]string{}, levels: map[string]map[int]numLvl{}, starts: map[string]map[int]int{}}
	dec := xml.NewDecoder(r)
	var abs, num string
	lvl, override := -1, -1
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return nil, xmlErr(f.Name, err)
		}
		e, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		val := attr(e, "val")
		switch e.Name.Local {
		case "abstractNum":
			abs, num = attr(e, "abstractNumId"), ""
			n.levels[abs] = map[int]numLvl{}
		case "num":
			num, abs = attr(e, "numId"), ""
		case "lvl":
			lvl, _ = strconv.Atoi(attr(e, "ilvl"))
			if abs != "" {
				n.levels[abs][lvl] = numLvl{start: 1, format: "decimal"}
			}
		case "start":
			if l, ok := n.levels[abs][lvl]; ok && abs != "" {
				l.start, _ = strconv.Atoi(val)
				n.levels[abs][lvl] = l
			}
		case "numFmt":
			if l, ok := n.levels[abs][lvl]; ok && abs != "" {
				l.format = val
				n.levels[abs][lvl] = l
			}
		case "lvlText":
			if l, ok := n.levels[abs][lvl]; ok && abs != "" {
				l.pattern = val
				n.levels[abs][lvl] = l
			}
		case "abstractNumId":
			if num != "" {
				n.abstractOf[num] = val
			}
		case "lvlOverride":
			override, _ = strconv.Atoi(attr(e, "ilvl"))
		case "startOverride":
			if num != "" {
				if n.starts[num] == nil {
					n.starts[num] = map[int]int{}
				}
				n.starts[num][override], _ = strconv.Atoi(val)
			}
		}
	}
}

// counter numbers the paragraphs of one list.
type counter struct {
	values  [9]int
	started [9]bool
}

// label returns the number shown before a paragraph of list numID at level
// ilvl, advancing the list.
func (n *numbering) label(counters map[string]*counter, numID string, ilvl int) string {
	if n == nil || numID == "" || numID == "0" || ilvl < 0 || ilvl > 8 {
		return ""
	}
	abs, ok := n.abstractOf[numID]
	if !ok {
		return ""
	}
	levels := n.levels[abs]
	key := abs
	if n.starts[numID] != nil {
		key = "num:" + numID
	}
	c := counters[key]
	if c == nil {
		c = &counter{}
		counters[key] = c
	}
	start := func(l int) int {
		if s, ok := n.starts[numID][l]; ok {
			return s
		}
		return levels[l].start
	}
	if c.started[ilvl] {
		c.values[ilvl]++
	} else {
		c.values[ilvl], c.started[ilvl] = start(ilvl), true
	}
	for k := ilvl + 1; k < 9; k++ {
		c.started[k] = false
	}
	lv := levels[ilvl]
	switch lv.format {
	case "bullet":
		return "-"
	case "none":
		return ""
	}
	out := lv.pattern
	for k := 0; k <= ilvl; k++ {
		v := c.values[k]
		if !c.started[k] {
			v = start(k)
		}
		out = strings.ReplaceAll(out, "%"+strconv.Itoa(k+1), formatNumber(v, levels[k].format))
	}
	return out
}

func formatNumber(v int, format string) string {
	switch format {
	case "lowerLetter", "upperLetter":
		if v < 1 {
			v = 1
		}
		s := strings.Repeat(string(rune('a'+(v-1)%26)), (v-1)/26+1)
		if format == "upperLetter" {
			s = strings.ToUpper(s)
		}
		return s
	case "lowerRoman":
		return strings.ToLower(toRoman(v))
	case "upperRoman":
		return toRoman(v)
	case "decimalZero":
		if v < 10 {
			return "0" + strconv.Itoa(v)
		}
	}
	return strconv.Itoa(v)
}

// paraState is a paragraph being read; text boxes nest paragraphs inside
// paragraphs.
type paraState struct {
	text  strings.Builder
	numID string
	ilvl  int
}

func readDocument(f *zip.File, num *numbering, lim Limits) ([]string, error) {
	rc, r, err := open(f, lim)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := xml.NewDecoder(r)
	var (
		out      []string
		stack    []*paraState
		skip     int // depth inside an element whose text is left out
		inText   bool
		size     int
		counters = map[string]*counter{}
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, xmlErr(f.Name, err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			var cur *paraState
			if len(stack) > 0 {
				cur = stack[len(stack)-1]
			}
			switch e.Name.Local {
			case "p":
				stack = append(stack, &paraState{ilvl: 0})
			case "t":
				inText = true
			case "tab":
				if cur != nil {
					cur.text.WriteByte(' ')
				}
			case "br", "cr":
				if cur != nil {
					cur.text.WriteByte('\n')
				}
			case "noBreakHyphen":
				if cur != nil {
					cur.text.WriteByte('-')
				}
			case "del", "delText", "instrText", "Fallback", "moveFrom":
				skip = 1
			case "numId":
				if cur != nil {
					cur.numID = attr(e, "val")
				}
			case "ilvl":
				if cur != nil {
					cur.ilvl, _ = strconv.Atoi(attr(e, "val"))
				}
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			switch e.Name.Local {
			case "t":
				inText = false
			case "p":
				if len(stack) == 0 {
					continue
				}
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				text := p.text.String()
				if label := num.label(counters, p.numID, p.ilvl); label != "" && strings.TrimSpace(text) != "" {
					text = label + " " + text
				}
				for _, l := range strings.Split(text, "\n") {
					if l = vntext.CleanLine(l); l != "" {
						out = append(out, l)
					}
				}
			}
		case xml.CharData:
			if inText && skip == 0 && len(stack) > 0 {
				if size += len(e); size > lim.MaxTextBytes {
					return nil, ErrTextTooLong
				}
				stack[len(stack)-1].text.Write(e)
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrEmpty
	}
	return out, nil
}
