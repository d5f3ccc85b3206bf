package nomadlike

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// The list's stubs group instances by namespace and name, union their
// tags, and mark a service Published when any instance has a publish
// block; the JSON keeps Nomad's shape for unpublished services.
func TestListStubs(t *testing.T) {
	t.Parallel()
	pub := &structs.ServicePublish{Port: 8080, Mode: structs.PublishModeHTTP}
	reg := func(ns, name string, publish *structs.ServicePublish, tags ...string) *structs.ServiceRegistration {
		return &structs.ServiceRegistration{Namespace: ns, ServiceName: name, Publish: publish, Tags: tags}
	}
	cases := []struct {
		name      string
		regs      []*structs.ServiceRegistration
		namespace string
		want      []*structs.ServiceRegistrationListStub
		wantJSON  string
	}{
		{name: "empty", want: []*structs.ServiceRegistrationListStub{}, wantJSON: `[]`},
		{name: "unpublished keeps Nomad's shape",
			regs: []*structs.ServiceRegistration{reg("default", "db", nil, "b", "a"), reg("default", "db", nil, "a")},
			want: []*structs.ServiceRegistrationListStub{{Namespace: "default",
				Services: []*structs.ServiceRegistrationStub{{ServiceName: "db", Tags: []string{"a", "b"}}}}},
			wantJSON: `[{"Namespace":"default","Services":[{"ServiceName":"db","Tags":["a","b"]}]}]`},
		{name: "one published instance publishes the service",
			regs: []*structs.ServiceRegistration{reg("default", "web", nil, "v1"), reg("default", "web", pub, "v2"), reg("default", "db", nil)},
			want: []*structs.ServiceRegistrationListStub{{Namespace: "default", Services: []*structs.ServiceRegistrationStub{
				{ServiceName: "db", Tags: []string{}},
				{ServiceName: "web", Tags: []string{"v1", "v2"}, Published: true}}}},
			wantJSON: `[{"Namespace":"default","Services":[{"ServiceName":"db","Tags":[]},{"ServiceName":"web","Tags":["v1","v2"],"Published":true}]}]`},
		{name: "per namespace, filtered",
			regs:      []*structs.ServiceRegistration{reg("prod", "web", pub), reg("default", "web", nil)},
			namespace: "prod",
			want: []*structs.ServiceRegistrationListStub{{Namespace: "prod",
				Services: []*structs.ServiceRegistrationStub{{ServiceName: "web", Tags: []string{}, Published: true}}}},
			wantJSON: `[{"Namespace":"prod","Services":[{"ServiceName":"web","Tags":[],"Published":true}]}]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := listStubs(tc.regs, tc.namespace)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("stubs %s, want %s", mustJSON(t, got), mustJSON(t, tc.want))
			}
			if js := mustJSON(t, got); js != tc.wantJSON {
				t.Fatalf("JSON %s, want %s", js, tc.wantJSON)
			}
		})
	}
}

func mustJSON(t *testing.T, v interface{}) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
