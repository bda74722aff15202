package main

import (
	"bytes"
	"io"
	"net/url"
	"sync"
)

func urlEncode(s string) string { return url.QueryEscape(s) }

// lockedWriter serialises writes from concurrent handlers into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
