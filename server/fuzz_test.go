package main

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzSubmit sends arbitrary bodies to the submission endpoint: whatever
// arrives, the answer is a 201 or a 4xx in the API's shape, never a 500.
func FuzzSubmit(f *testing.F) {
	seeds := []string{
		`{"agency":"sotnmt","kind":"question","title":"Hỏi về đất đai","body":"Nội dung câu hỏi đủ dài để qua kiểm tra.","consent":true}`,
		`{"agency":{"$gt":""},"kind":["question"],"title":12,"body":null,"consent":"true"}`,
		`{"title":"\u202e\u200b<script>","body":"\ud800","consent":true,"__proto__":{"x":1}}`,
		`[]`, `{}`, `null`, `{"a":`, "\x00\xff", `{"consent":true,"agency":"../admin"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	ta := newTestApp(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/threads", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := ta.app.Fiber().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 500 || (res.StatusCode != 201 && res.StatusCode < 400) {
			t.Fatalf("body %q: status %d", body, res.StatusCode)
		}
	})
}
