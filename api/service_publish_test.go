package api

import "testing"

func TestServicePublishCanonicalize(t *testing.T) {
	p := &ServicePublish{Port: publishTestInt(8080)}
	p.Canonicalize()
	if *p.Mode != PublishModeTCP || *p.Balance != PublishBalanceRoundRobin || *p.ClientAffinity != "" {
		t.Fatalf("defaults %q %q %q", *p.Mode, *p.Balance, *p.ClientAffinity)
	}
	http := "http"
	p = &ServicePublish{Mode: &http}
	p.Canonicalize()
	if *p.Mode != "http" {
		t.Fatalf("mode %q overwritten", *p.Mode)
	}
	var nilP *ServicePublish
	nilP.Canonicalize() // a service without publish
}

func publishTestInt(i int) *int { return &i }
