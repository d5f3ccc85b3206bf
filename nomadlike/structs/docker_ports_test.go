package structs_test

import (
	"reflect"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestAllocatedResourcesTaskPorts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ar   *structs.AllocatedResources
		task string
		want []structs.PortMapping
	}{
		{name: "nil resources", ar: nil, task: "web", want: nil},
		{name: "no ports", ar: &structs.AllocatedResources{}, task: "web", want: nil},
		{
			name: "group networks, reserved and dynamic, sorted by label",
			ar: &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{Networks: []*structs.NetworkResource{{
				IP:            "10.0.0.5",
				ReservedPorts: []structs.Port{{Label: "metrics", Value: 9100}},
				DynamicPorts:  []structs.Port{{Label: "http", Value: 23456, To: 8080}},
			}}}},
			task: "web",
			want: []structs.PortMapping{
				{Label: "http", Value: 23456, To: 8080, HostIP: "10.0.0.5"},
				{Label: "metrics", Value: 9100, HostIP: "10.0.0.5"},
			},
		},
		{
			name: "task networks only for their own task",
			ar: &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
				"web":   {Networks: []*structs.NetworkResource{{IP: "10.0.0.5", DynamicPorts: []structs.Port{{Label: "http", Value: 20001}}}}},
				"other": {Networks: []*structs.NetworkResource{{IP: "10.0.0.5", DynamicPorts: []structs.Port{{Label: "db", Value: 20002}}}}},
			}},
			task: "web",
			want: []structs.PortMapping{{Label: "http", Value: 20001, HostIP: "10.0.0.5"}},
		},
		{
			name: "group port mappings win over networks for the same label",
			ar: &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
				Networks: []*structs.NetworkResource{{IP: "10.0.0.5", DynamicPorts: []structs.Port{{Label: "http", Value: 20001}}}},
				Ports:    []structs.PortMapping{{Label: "http", Value: 20003, To: 80, HostIP: "127.0.0.1"}},
			}},
			task: "web",
			want: []structs.PortMapping{{Label: "http", Value: 20003, To: 80, HostIP: "127.0.0.1"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.ar.TaskPorts(tc.task); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("TaskPorts(%q) = %+v, want %+v", tc.task, got, tc.want)
			}
		})
	}
}
