package drivertest

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-dev/orch/drivers/sdk"
)

// StartAll starts every task at once, as a client placing a large count
// would, and returns the wall time until all have started and the first
// error, if any.
func StartAll(d sdk.Driver, cfgs []*sdk.TaskConfig) (time.Duration, error) {
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(cfgs))
	for _, cfg := range cfgs {
		wg.Go(func() {
			if _, err := d.StartTask(cfg); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	close(errs)
	return took, <-errs
}

// StatusKB reads a "Key:   123 kB" line from a /proc file of pid; pathFmt
// holds one %d for the pid.
func StatusKB(b testing.TB, pid int, pathFmt, key string) float64 {
	b.Helper()
	f, err := os.Open(fmt.Sprintf(pathFmt, pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), key); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("%s in %s: %v", key, pathFmt, err)
			}
			return kb
		}
	}
	b.Fatalf("no %s in %s", key, fmt.Sprintf(pathFmt, pid))
	return 0
}
