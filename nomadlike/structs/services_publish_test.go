package structs

import (
	"strings"
	"testing"
)

func TestServicePublishValidate(t *testing.T) {
	ok := ServicePublish{Port: 8080, Mode: PublishModeHTTP, Balance: PublishBalanceLeastConn, ClientAffinity: PublishAffinityClientIP}
	cases := []struct {
		name string
		mod  func(*ServicePublish)
		want string
	}{
		{"valid", func(*ServicePublish) {}, ""},
		{"port zero", func(p *ServicePublish) { p.Port = 0 }, "publish.port 0 is out of range"},
		{"port too big", func(p *ServicePublish) { p.Port = 70000 }, "publish.port 70000 is out of range"},
		{"mode", func(p *ServicePublish) { p.Mode = "udp" }, `publish.mode "udp" is invalid`},
		{"balance", func(p *ServicePublish) { p.Balance = "random" }, `publish.balance "random" is invalid`},
		{"affinity", func(p *ServicePublish) { p.ClientAffinity = "cookie" }, `publish.client_affinity "cookie" is invalid`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.mod(&p)
			err := p.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidatePublishedPorts(t *testing.T) {
	pub := func(port int) *ServicePublish {
		return &ServicePublish{Port: port, Mode: PublishModeTCP, Balance: PublishBalanceRoundRobin}
	}
	cases := []struct {
		name string
		svcs []*Service
		want string
	}{
		{"distinct ports", []*Service{{Name: "a", Publish: pub(1)}, {Name: "b", Publish: pub(2)}, {Name: "c"}}, ""},
		{"same service twice", []*Service{{Name: "a", Publish: pub(1)}, {Name: "a", Publish: pub(1)}}, ""},
		{"two services one port", []*Service{{Name: "a", Publish: pub(1)}, {Name: "b", Publish: pub(1)}}, `service "b": publish.port 1 is already published by service "a"`},
		{"same service, different publish", []*Service{{Name: "a", Publish: pub(1)}, {Name: "a", Publish: &ServicePublish{Port: 1, Mode: PublishModeHTTP, Balance: PublishBalanceRoundRobin}}}, "differ"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePublishedPorts(tc.svcs)
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
