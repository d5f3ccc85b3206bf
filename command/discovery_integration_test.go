package command

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dnsmsg "github.com/miekg/dns"
)

// freePort returns a loopback TCP port free at the time of asking.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestDevAgent_DNSAndLoadBalancer runs a count-3 HTTP service published
// through the client's load balancer on a real dev agent, with the real
// catalog: DNS answers the passing instances only, and requests through
// the balancer reach every instance, then skip one made unhealthy.
func TestDevAgent_DNSAndLoadBalancer(t *testing.T) {
	dataDir := t.TempDir()
	dnsPort, lbPort := freePort(t), freePort(t)
	c := startDevAgentWith(t, dataDir, "-dns-port", fmt.Sprint(dnsPort), "-dns-addr", "127.0.0.1")
	spec := strings.Replace(serviceJobHCL("pub", 3, ""), `tags = ["v1"]`, fmt.Sprintf(`tags = ["v1"]
        publish {
          port = %d
          mode = "http"
        }`, lbPort), 1)
	registerHCL(t, c, spec)
	t.Cleanup(func() { _, _, _ = c.Jobs().Deregister("pub", true, nil) })
	pollUntil(t, 30*time.Second, "3 passing instances", func() (bool, string) {
		got, _ := serviceStatuses(t, c, "pub")
		return got["passing"] == 3, fmt.Sprint(got)
	})

	dnsAnswers := func(qtype uint16) (int, error) {
		m := new(dnsmsg.Msg)
		m.SetQuestion("pub.service.orch.", qtype)
		in, err := dnsmsg.Exchange(m, fmt.Sprintf("127.0.0.1:%d", dnsPort))
		if err != nil {
			return 0, err
		}
		return len(in.Answer), nil
	}
	pollUntil(t, 10*time.Second, "3 A and 3 SRV answers", func() (bool, string) {
		a, errA := dnsAnswers(dnsmsg.TypeA)
		srv, errS := dnsAnswers(dnsmsg.TypeSRV)
		return a == 3 && srv == 3, fmt.Sprintf("A %d (%v), SRV %d (%v)", a, errA, srv, errS)
	})

	url := fmt.Sprintf("http://127.0.0.1:%d/whoami", lbPort)
	httpc := &http.Client{Timeout: 2 * time.Second}
	seen := func(n int) (map[string]int, int) {
		got, failed := map[string]int{}, 0
		for range n {
			resp, err := httpc.Get(url)
			if err != nil {
				failed++
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				failed++
				continue
			}
			got[string(body)]++
		}
		return got, failed
	}
	pollUntil(t, 15*time.Second, "the balancer reaching all 3 instances", func() (bool, string) {
		got, failed := seen(30)
		return len(got) == 3 && failed == 0, fmt.Sprintf("%v, %d failed", got, failed)
	})

	_, regs := serviceStatuses(t, c, "pub")
	victim := regs[0].AllocID
	if err := os.WriteFile(filepath.Join(taskLocalDir(dataDir, victim), "unhealthy"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, 10*time.Second, "the unhealthy instance out of DNS and the balancer", func() (bool, string) {
		a, _ := dnsAnswers(dnsmsg.TypeA)
		got, failed := seen(30)
		return a == 2 && len(got) == 2 && got[victim] == 0 && failed == 0,
			fmt.Sprintf("A %d, balancer %v, %d failed", a, got, failed)
	})
}
