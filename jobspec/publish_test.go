package jobspec

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orch-dev/orch/api"
)

// publishBlocks parses src (service blocks holding publish blocks) and
// decodes every publish block as the service decoder will.
func publishBlocks(t *testing.T, src string) ([]*api.ServicePublish, error) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "pub.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	e := &evaluator{src: []byte(src)}
	schema := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "publish"}}}
	var out []*api.ServicePublish
	for _, sb := range f.Body.(*hclsyntax.Body).Blocks {
		c := e.content(sb.Body, scopeService, schema)
		out = append(out, e.servicePublish(c, sb.Labels[0]))
	}
	if e.diags.HasErrors() {
		return out, e.diags
	}
	return out, nil
}

func TestPublish(t *testing.T) {
	t.Parallel()
	got, err := publishBlocks(t, `
service "web" {
  publish {
    port            = 8080
    mode            = "http"
    balance         = "least_conn"
    client_affinity = "client_ip"
  }
}
service "db" {
  publish { port = 5432 }
}
service "web" {
  publish { port = 8080 }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	web, db := got[0], got[1]
	if *web.Port != 8080 || *web.Mode != "http" || *web.Balance != "least_conn" || *web.ClientAffinity != "client_ip" {
		t.Errorf("web publish %+v", web)
	}
	if *db.Port != 5432 || db.Mode != nil || db.Balance != nil {
		t.Errorf("db publish %+v: unset fields must stay unset for Canonicalize", db)
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, src, want string }{
		{"no port", "service \"a\" {\n  publish { mode = \"tcp\" }\n}\n",
			`pub.hcl:2,13-13: Missing required argument; The argument "port" is required`},
		{"port out of range", "service \"a\" {\n  publish { port = 70000 }\n}\n",
			`pub.hcl:2,20-25: Invalid value for "port"; port must be between 1 and 65535, got 70000`},
		{"port not a number", "service \"a\" {\n  publish { port = \"http\" }\n}\n",
			`pub.hcl:2,20-26: Invalid value for "port"; port must be a whole number`},
		{"unknown mode", "service \"a\" {\n  publish {\n    port = 80\n    mode = \"udp\"\n  }\n}\n",
			`pub.hcl:4,12-17: Invalid value for "mode"; mode must be one of tcp, http, got "udp"`},
		{"unknown balance", "service \"a\" {\n  publish {\n    port    = 80\n    balance = \"random\"\n  }\n}\n",
			`pub.hcl:4,15-23: Invalid value for "balance"; balance must be one of round_robin, least_conn, got "random"`},
		{"unknown affinity", "service \"a\" {\n  publish {\n    port            = 80\n    client_affinity = \"cookie\"\n  }\n}\n",
			`pub.hcl:4,23-31: Invalid value for "client_affinity"; client_affinity must be one of client_ip, got "cookie"`},
		{"unknown key", "service \"a\" {\n  publish {\n    port = 80\n    balancer = \"x\"\n  }\n}\n",
			`pub.hcl:4,5-13: Unsupported argument; An argument named "balancer" is not expected here. Did you mean "balance"?`},
		{"two publish blocks", "service \"a\" {\n  publish { port = 80 }\n  publish { port = 81 }\n}\n",
			`pub.hcl:3,3-10: Duplicate publish block; only one publish block is allowed here; the first is at pub.hcl:2,3-10`},
		{"two services one port", "service \"a\" {\n  publish { port = 80 }\n}\nservice \"b\" {\n  publish { port = 80 }\n}\n",
			`pub.hcl:5,3-10: Duplicate published port; port 80 is already published by service "a" at pub.hcl:2,3-10`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := publishBlocks(t, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, tc.want)
			}
		})
	}
}
