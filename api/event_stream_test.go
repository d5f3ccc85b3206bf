package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEventStream(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		wantIdx []uint64
		wantErr string
	}{
		{
			name: "heartbeats skipped, cut off with a reason",
			body: "{}\n" +
				`{"Index":7,"Events":[{"Topic":"Job","Type":"JobRegistered","Key":"web","Index":7,"Payload":{"Job":{"ID":"web"}}}]}` + "\n" +
				"{}\n" +
				`{"Error":"event stream subscriber too slow"}` + "\n",
			wantIdx: []uint64{7},
			wantErr: "too slow",
		},
		{
			name:    "connection closed",
			body:    `{"Index":3,"Events":[{"Topic":"Node","Key":"n1","Index":3,"Payload":{"Node":{"ID":"n1"}}}]}` + "\n",
			wantIdx: []uint64{3},
			wantErr: "unexpected EOF",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var query string
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				query = r.URL.RawQuery
				fmt.Fprint(w, tc.body)
			}))
			defer ts.Close()
			c, err := NewClient(&Config{Address: ts.URL})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ch, err := c.EventStream().Stream(ctx, map[Topic][]string{TopicJob: {"web"}, TopicNode: nil}, 5, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []uint64
			var last error
			for ev := range ch {
				if ev.Err != nil {
					last = ev.Err
					continue
				}
				got = append(got, ev.Index)
				if ev.Events[0].Topic == TopicJob {
					if j, err := ev.Events[0].Job(); err != nil || j.ID == nil || *j.ID != "web" {
						t.Fatalf("job payload %+v %v", j, err)
					}
				}
			}
			if !slices.Equal(got, tc.wantIdx) || last == nil || !strings.Contains(last.Error(), tc.wantErr) {
				t.Fatalf("indexes %v, error %v; want %v and %q", got, last, tc.wantIdx, tc.wantErr)
			}
			for _, want := range []string{"index=5", "topic=Job%3Aweb", "topic=Node"} {
				if !strings.Contains(query, want) {
					t.Fatalf("query %q lacks %q", query, want)
				}
			}
		})
	}
}
