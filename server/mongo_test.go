package main

import (
	"strings"
	"sync"
	"testing"

	"tuongtac/agencies"
	"tuongtac/store/mongo/mongotest"
)

// TestMongoBackend runs the main journey with the documents in a
// MongoDB-protocol server: FerretDB embedded in the test, and a real MongoDB
// when MONGODB_TEST_URI is set. Nothing but the store changes.
func TestMongoBackend(t *testing.T) {
	for _, real := range []bool{false, true} {
		name := "ferretdb"
		if real {
			name = "mongodb"
		}
		t.Run(name, func(t *testing.T) {
			ta := newTestAppOn(t, mongotest.Open(t, real))
			qs := loadCorpus(t)[:12]
			officers, editors := map[string]*client{}, map[string]*client{}
			for _, q := range qs {
				if officers[q.Agency] == nil {
					officers[q.Agency] = ta.user("o@"+q.Agency+".vn", "Cán bộ", agencies.Role{Agency: q.Agency, Role: "officer"})
					editors[q.Agency] = ta.user("e@"+q.Agency+".vn", "Biên tập", agencies.Role{Agency: q.Agency, Role: "editor"})
				}
			}
			secrets := personalData(t, qs)
			for _, q := range qs {
				res, body := ta.anon().json("POST", "/api/v1/threads", q.submission())
				if res.StatusCode != 201 {
					t.Fatalf("%s: submit %d %s", q.ID, res.StatusCode, body)
				}
				var rec struct {
					ID   string `json:"id"`
					Code string `json:"tracking_code"`
				}
				mustDecode(t, body, &rec)
				// two officers claim at once: exactly one wins
				rival := ta.user("rival-"+q.ID+"@"+q.Agency+".vn", "Đối thủ", agencies.Role{Agency: q.Agency, Role: "officer"})
				var wg sync.WaitGroup
				codes := make([]int, 2)
				for i, c := range []*client{officers[q.Agency], rival} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res, _ := c.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/claim", nil)
						codes[i] = res.StatusCode
					}()
				}
				wg.Wait()
				if codes[0]+codes[1] != 200+409 {
					t.Fatalf("%s: concurrent claims %v", q.ID, codes)
				}
				holder := officers[q.Agency]
				if codes[1] == 200 {
					holder = rival
				}
				for _, s := range []struct {
					c      *client
					action string
					body   map[string]any
				}{{holder, "answer", map[string]any{"body": q.Answer}}, {editors[q.Agency], "approve", nil}} {
					if res, body := s.c.json("POST", "/api/v1/moderation/threads/"+rec.ID+"/"+s.action, s.body); res.StatusCode != 200 {
						t.Fatalf("%s: %s %d %s", q.ID, s.action, res.StatusCode, body)
					}
				}
				_, pub := ta.anon().get("/api/v1/threads/" + rec.ID)
				for _, s := range secrets {
					if strings.Contains(string(pub), s) {
						t.Errorf("%s: public thread shows %q", q.ID, s)
					}
				}
				if res, body := ta.anon().get("/api/v1/track/" + rec.Code); res.StatusCode != 200 || !strings.Contains(string(body), "published") {
					t.Errorf("%s: track %d %s", q.ID, res.StatusCode, body)
				}
			}
			_, body := ta.anon().get("/api/v1/threads?agency=ubnd-tinh&per_page=100")
			if !strings.Contains(string(body), `"total":12`) {
				t.Errorf("province list: %s", body)
			}
			res, _ := ta.anon().json("POST", "/api/v1/threads", qs[0].submission())
			if res.StatusCode != 409 {
				t.Errorf("duplicate on mongo: %d", res.StatusCode)
			}
		})
	}
}
