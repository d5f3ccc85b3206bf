package command

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/cli"
)

// fakeAPI serves canned JSON per route ("GET /v1/jobs"); a value that is
// an http.HandlerFunc is called instead. Unknown routes answer 404.
func fakeAPI(t *testing.T, routes map[string]interface{}) string {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, v := range routes {
		if h, ok := v.(http.HandlerFunc); ok {
			mux.Handle(pattern, h)
			continue
		}
		body, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Nomad-Index", "5")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func newUi() *cli.MockUi { return cli.NewMockUi() }

var spaces = regexp.MustCompile(`[ \t]+`)

// squash collapses runs of blanks so assertions do not depend on column
// widths.
func squash(s string) string { return spaces.ReplaceAllString(s, " ") }

func assertContains(t *testing.T, out string, wants ...string) {
	t.Helper()
	sq := squash(out)
	for _, w := range wants {
		if !strings.Contains(sq, w) {
			t.Errorf("output does not contain %q:\n%s", w, out)
		}
	}
}

// prefixList serves items (each with an "ID") filtered by ?prefix=, as the
// agent's list endpoints do.
func prefixList(t *testing.T, items interface{}) http.HandlerFunc {
	t.Helper()
	raw, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]interface{}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		out := []map[string]interface{}{}
		for _, row := range rows {
			if id, _ := row["ID"].(string); strings.HasPrefix(id, r.URL.Query().Get("prefix")) {
				out = append(out, row)
			}
		}
		w.Header().Set("X-Nomad-Index", "5")
		_ = json.NewEncoder(w).Encode(out)
	}
}

func writeJSONBody(t *testing.T, w http.ResponseWriter, v interface{}) {
	t.Helper()
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		t.Error(err)
	}
}

func readJSONBody(t *testing.T, r *http.Request, v interface{}) {
	t.Helper()
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		t.Error(err)
	}
}
