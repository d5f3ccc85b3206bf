package command

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/cli"

	"github.com/orch-dev/orch/api"
)

// rolloutJob is a service job of count allocations of a raw_exec sleep;
// update is the body of its update block. A new sleep argument is a
// destructive change.
func rolloutJob(id string, count int, update, sleep string) string {
	return fmt.Sprintf(`
job %q {
  update {
    min_healthy_time  = "1s"
    healthy_deadline  = "30s"
    progress_deadline = "60s"
%s
  }
  group "g" {
    count = %d
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = [%q]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}`, id, update, count, sleep)
}

// cliCmd runs a command built around ui against the agent.
func cliCmd(t *testing.T, c *api.Client, build func(Meta) cli.Command, args ...string) (int, string, string) {
	t.Helper()
	ui := newUi()
	code := build(Meta{Ui: ui}).Run(append([]string{"-address", c.Address()}, args...))
	return code, ui.OutputWriter.String(), ui.ErrorWriter.String()
}

func statusCommand(m Meta) cli.Command  { return &DeploymentStatusCommand{Meta: m} }
func promoteCommand(m Meta) cli.Command { return &DeploymentPromoteCommand{Meta: m} }
func historyCommand(m Meta) cli.Command { return &JobHistoryCommand{Meta: m} }

// runInterval is when an allocation's task ran, rebuilt from its task
// state. To is zero while the task still runs.
type runInterval struct {
	alloc    string
	version  uint64
	from, to time.Time
}

// runIntervals rebuilds, for every allocation whose task started, when it
// ran: from the later of StartedAt and its Started event to the earliest
// of FinishedAt and its Killing or Terminated event, so the interval is
// never longer than the task really ran. A restarted task (a gap) fails
// the test.
func runIntervals(t *testing.T, allocs []*api.AllocationListStub) []runInterval {
	t.Helper()
	var out []runInterval
	for _, a := range allocs {
		ts := a.TaskStates["t"]
		if ts == nil || ts.StartedAt.IsZero() {
			continue
		}
		if ts.Restarts > 0 {
			t.Fatalf("allocation %s restarted %d times: its running time has gaps", a.ID, ts.Restarts)
		}
		iv := runInterval{alloc: a.ID, version: a.JobVersion, from: ts.StartedAt, to: ts.FinishedAt}
		for _, e := range ts.Events {
			at := time.Unix(0, e.Time)
			switch e.Type {
			case "Started":
				if at.After(iv.from) {
					iv.from = at
				}
			case "Killing", "Terminated":
				if iv.to.IsZero() || at.Before(iv.to) {
					iv.to = at
				}
			}
		}
		out = append(out, iv)
	}
	return out
}

// describe lists the intervals relative to start, one a line, for
// failure messages.
func describe(ivs []runInterval, start time.Time) string {
	var b strings.Builder
	for _, iv := range ivs {
		to := "still running"
		if !iv.to.IsZero() {
			to = iv.to.Sub(start).String()
		}
		fmt.Fprintf(&b, "  %s version %d: %s to %s\n", limit(iv.alloc, shortIDLength), iv.version, iv.from.Sub(start), to)
	}
	return b.String()
}

// ivEvent is one end of a running interval.
type ivEvent struct {
	at      time.Time
	start   bool
	version uint64
}

// sweep walks [from, to] through every instant where the set of running
// allocations changes and calls visit with how many of each version run
// just after it. An interval that ends when another starts counts as a
// dip: ends are applied before starts at the same instant. visit first
// sees the state at from.
func sweep(ivs []runInterval, from, to time.Time, visit func(at time.Time, running map[uint64]int)) {
	running := map[uint64]int{}
	var events []ivEvent
	for _, iv := range ivs {
		if !iv.to.IsZero() && !iv.to.After(from) {
			continue // over before the window
		}
		if !iv.from.After(from) {
			running[iv.version]++
		} else {
			events = append(events, ivEvent{at: iv.from, start: true, version: iv.version})
		}
		if !iv.to.IsZero() {
			events = append(events, ivEvent{at: iv.to, version: iv.version})
		}
	}
	sort.Slice(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return !events[i].start && events[j].start
	})
	visit(from, running)
	for _, e := range events {
		if e.at.After(to) {
			break
		}
		if e.start {
			running[e.version]++
		} else {
			running[e.version]--
		}
		visit(e.at, running)
	}
}

// extreme is a number of allocations at one instant.
type extreme struct {
	n  int
	at time.Time
}

// runningSpan is the fewest and the most allocations, of any version, in
// ivs at one instant of [from, to], each with the first instant it
// happened. Through sweep, an interval ending when another starts is a
// dip for the fewest but never an overlap for the most: intervals are
// half-open, [from, to).
func runningSpan(ivs []runInterval, from, to time.Time) (low, high extreme) {
	low.n = -1
	sweep(ivs, from, to, func(at time.Time, running map[uint64]int) {
		n := 0
		for _, c := range running {
			n += c
		}
		if low.n < 0 || n < low.n {
			low = extreme{n, at}
		}
		if n > high.n {
			high = extreme{n, at}
		}
	})
	return low, high
}

// healthyIntervals narrows running intervals to when each allocation was
// also healthy: from its client's verdict for the deployment it belongs
// to (DeploymentStatus.Timestamp with Healthy true) until its task was
// stopped. An allocation never judged healthy, or judged only once its
// task was stopped, is left out.
func healthyIntervals(allocs []*api.AllocationListStub, ivs []runInterval) []runInterval {
	status := make(map[string]*api.AllocDeploymentStatus, len(allocs))
	for _, a := range allocs {
		status[a.ID] = a.DeploymentStatus
	}
	var out []runInterval
	for _, iv := range ivs {
		s := status[iv.alloc]
		if !s.IsHealthy() {
			continue
		}
		if s.Timestamp.After(iv.from) {
			iv.from = s.Timestamp
		}
		if !iv.to.IsZero() && !iv.to.After(iv.from) {
			continue
		}
		out = append(out, iv)
	}
	return out
}

// TestMinRunning: runningSpan's fewest and most allocations at one
// instant of the window.
func TestMinRunning(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	old := func(id string, end int) runInterval {
		return runInterval{alloc: id, version: 0, from: at(-1000), to: at(end)}
	}
	fresh := func(id string, start int) runInterval { return runInterval{alloc: id, version: 1, from: at(start)} }
	cases := []struct {
		name          string
		ivs           []runInterval
		low, high     int
		lowAt, highAt int // ms from the window's start
	}{
		{"one at a time, each replacement after its predecessor stopped", []runInterval{
			old("a", 100), fresh("A", 150), old("b", 300), fresh("B", 350), old("c", 500), fresh("C", 550), old("d", 700), fresh("D", 750),
		}, 3, 4, 100, 0},
		{"two at a time", []runInterval{
			old("a", 100), old("b", 100), fresh("A", 150), fresh("B", 160), old("c", 500), old("d", 500), fresh("C", 550), fresh("D", 560),
		}, 2, 4, 100, 0},
		{"a replacement starting the instant its predecessor ends is a dip, not an overlap", []runInterval{
			old("a", 100), fresh("A", 100), old("b", 300), fresh("B", 250), old("c", 400), fresh("C", 350), old("d", 600), fresh("D", 550),
		}, 3, 5, 100, 250},
		{"surge: new ones start before old ones stop", []runInterval{
			fresh("A", 0), old("a", 100), fresh("B", 200), old("b", 300), old("c", 2000), old("d", 2000), fresh("C", 1900), fresh("D", 1950),
		}, 4, 5, 100, 0},
		{"an allocation gone before the window does not count", []runInterval{
			{alloc: "x", from: at(-2000), to: at(-1500)}, old("a", 5000), old("b", 5000),
		}, 2, 2, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			low, high := runningSpan(tc.ivs, at(0), at(1000))
			if low.n != tc.low || !low.at.Equal(at(tc.lowAt)) {
				t.Errorf("fewest running %d at %s, want %d at %dms", low.n, low.at.Sub(t0), tc.low, tc.lowAt)
			}
			if high.n != tc.high || !high.at.Equal(at(tc.highAt)) {
				t.Errorf("most running %d at %s, want %d at %dms", high.n, high.at.Sub(t0), tc.high, tc.highAt)
			}
		})
	}
}

// TestHealthyIntervals: an allocation counts as healthy from its verdict
// until its task stopped, and not at all without a healthy verdict given
// while it ran.
func TestHealthyIntervals(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	judged := func(healthy bool, ms int) *api.AllocDeploymentStatus {
		return &api.AllocDeploymentStatus{Healthy: &healthy, Timestamp: at(ms)}
	}
	cases := []struct {
		name     string
		status   *api.AllocDeploymentStatus
		iv       runInterval
		from, to int // ms; from < 0: left out
	}{
		{"healthy from its verdict until stopped", judged(true, 1000), runInterval{from: at(0), to: at(5000)}, 1000, 5000},
		{"still running", judged(true, 1000), runInterval{from: at(0)}, 1000, 0},
		{"never judged", nil, runInterval{from: at(0), to: at(5000)}, -1, 0},
		{"judged without a verdict yet", &api.AllocDeploymentStatus{Timestamp: at(1000)}, runInterval{from: at(0)}, -1, 0},
		{"unhealthy", judged(false, 1000), runInterval{from: at(0)}, -1, 0},
		{"judged healthy only once stopped", judged(true, 5000), runInterval{from: at(0), to: at(5000)}, -1, 0},
		{"a verdict older than the start it ran from", judged(true, -10), runInterval{from: at(0), to: at(5000)}, 0, 5000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.iv.alloc = "a"
			got := healthyIntervals([]*api.AllocationListStub{{ID: "a", DeploymentStatus: tc.status}}, []runInterval{tc.iv})
			switch {
			case tc.from < 0 && len(got) != 0:
				t.Fatalf("got %+v, want it left out", got)
			case tc.from < 0:
			case len(got) != 1:
				t.Fatalf("got %+v, want one interval", got)
			case !got[0].from.Equal(at(tc.from)) || (tc.to == 0) != got[0].to.IsZero() || (tc.to != 0 && !got[0].to.Equal(at(tc.to))):
				t.Fatalf("healthy %s to %s, want %dms to %dms (0: still running)", got[0].from.Sub(t0), got[0].to.Sub(t0), tc.from, tc.to)
			}
		})
	}
}

// latestDeploymentOf waits for the job's deployment of version and
// returns its ID.
func latestDeploymentOf(t *testing.T, c *api.Client, jobID string, version uint64) string {
	t.Helper()
	var id string
	pollUntil(t, 30*time.Second, fmt.Sprintf("a deployment of version %d", version), func() (bool, string) {
		d, _, err := c.Jobs().LatestDeployment(jobID, nil)
		if err != nil || d == nil {
			return false, fmt.Sprint(d, err)
		}
		id = d.ID
		return d.JobVersion == version, fmt.Sprintf("version %d", d.JobVersion)
	})
	return id
}

// waitFinished waits until every allocation of the job's version has
// finished on the client, so its task state tells when it stopped.
func waitFinished(t *testing.T, c *api.Client, jobID string, version uint64) {
	t.Helper()
	pollUntil(t, 30*time.Second, fmt.Sprintf("version %d's allocations finished", version), func() (bool, string) {
		allocs, _, err := c.Jobs().Allocations(jobID, false, nil)
		if err != nil {
			return false, err.Error()
		}
		for _, a := range allocs {
			ts := a.TaskStates["t"]
			if a.JobVersion == version && (ts == nil || ts.FinishedAt.IsZero()) {
				return false, fmt.Sprintf("%s is %s/%s", a.ID, a.DesiredStatus, a.ClientStatus)
			}
		}
		return true, ""
	})
}

// versionStable reports whether the job's version is marked stable.
func versionStable(t *testing.T, c *api.Client, jobID string, version uint64) bool {
	t.Helper()
	versions, _, _, err := c.Jobs().Versions(jobID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range versions {
		if deref(v.Version) == version {
			return deref(v.Stable)
		}
	}
	t.Fatalf("job %s has no version %d", jobID, version)
	return false
}

// groupRow matches the "g" row of a progress frame: desired, placed,
// healthy, unhealthy (after the Auto Revert column when there is one).
var groupRow = regexp.MustCompile(`(?m)^ *g (?:true |false )?(\d+) (\d+) (\d+) (\d+)`)

// TestDevAgent_RollingUpdateAvailability: a count-4 service rolled from
// its first version to its second with max_parallel = 1 never has fewer
// than 3 allocations running, at any instant of the update (rebuilt from
// the task states, and sampled through the API as a second check), and
// ends with all 4 on the new version, the deployment successful and the
// version stable. `deployment status -monitor` follows the rollout: its
// frames show the group's progress and it ends with the final status.
//
// Checked by hand once: with maxParallel = 2 the test fails ("2
// allocations running 28ms into the update; want at least 3").
func TestDevAgent_RollingUpdateAvailability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real tasks")
	}
	// atLeast is what max_parallel = 1 promises a count of 4; it is not
	// derived from maxParallel, so a larger batch fails the test.
	const count, maxParallel, atLeast = 4, 1, 3
	update := fmt.Sprintf("    max_parallel = %d", maxParallel)
	c := startDevAgent(t)
	if code, out, errOut := cliRun(t, c, "run", writeJob(t, rolloutJob("avail", count, update, "300"))); code != exitOK {
		t.Fatalf("first version: exit %d\n%s\n%s", code, out, errOut)
	}

	start := time.Now()
	if code, out, errOut := cliRun(t, c, "run", "-detach", writeJob(t, rolloutJob("avail", count, update, "301"))); code != exitOK {
		t.Fatalf("second version: exit %d\n%s\n%s", code, out, errOut)
	}
	depID := latestDeploymentOf(t, c, "avail", 1)
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errOut := cliCmd(t, c, statusCommand, "-monitor", "-wait", "5s", depID)
		done <- result{code, out, errOut}
	}()
	sampledMin := count
	var mon result
	deadline := time.After(60 * time.Second)
	for finished := false; !finished; {
		select {
		case mon = <-done:
			finished = true
		case <-deadline:
			t.Fatal("deployment status -monitor still running after 60s")
		case <-time.After(50 * time.Millisecond):
			// The sampling interval of the second check, not a wait for
			// state.
		}
		total := 0
		for _, n := range runningByVersion(t, c, "avail") {
			total += n
		}
		sampledMin = min(sampledMin, total)
	}
	end := time.Now()

	if mon.code != exitOK {
		t.Fatalf("deployment status -monitor: exit %d\n%s\n%s", mon.code, mon.out, mon.errOut)
	}
	out := squash(mon.out)
	var healthy []int
	for _, m := range groupRow.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[3])
		healthy = append(healthy, n)
	}
	if len(healthy) < 2 || healthy[len(healthy)-1] != count || !sort.IntsAreSorted(healthy) || healthy[0] == count {
		t.Fatalf("the monitor's frames do not show the group growing to %d healthy (saw %v):\n%s", count, healthy, mon.out)
	}
	lines := strings.Split(strings.TrimSpace(mon.out), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, fmt.Sprintf("Deployment %q successful", limit(depID, shortIDLength))) ||
		!strings.Contains(out, "Deployment successful: Deployment completed successfully") {
		t.Fatalf("the monitor does not end with the final status:\n%s", mon.out)
	}

	if got := runningByVersion(t, c, "avail"); got[1] != count || len(got) != 1 {
		t.Fatalf("running by version %v, want all %d on version 1", got, count)
	}
	if d, _, err := c.Deployments().Info(depID, nil); err != nil || d.Status != api.DeploymentStatusSuccessful {
		t.Fatalf("deployment %v: %v", d, err)
	}
	if !versionStable(t, c, "avail", 1) {
		t.Fatal("version 1 is not stable after its deployment succeeded")
	}

	waitFinished(t, c, "avail", 0)
	allocs, _, err := c.Jobs().Allocations("avail", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ivs := runIntervals(t, allocs)
	if len(ivs) != 2*count {
		t.Fatalf("%d allocations ran, want %d old and %d new:\n%s", len(ivs), count, count, describe(ivs, start))
	}
	low, _ := runningSpan(ivs, start, end)
	if low.n < atLeast {
		t.Fatalf("%d allocations running %s into the update; want at least %d. Running times from the update's start:\n%s",
			low.n, low.at.Sub(start), atLeast, describe(ivs, start))
	}
	t.Logf("update took %s; fewest running %d, %s into it (sampled: %d)", end.Sub(start).Round(time.Millisecond), low.n, low.at.Sub(start), sampledMin)
	if sampledMin < atLeast {
		t.Fatalf("the API showed only %d allocations running during the update", sampledMin)
	}
}

// healthyAndRunning samples the job's allocations the servers want
// running: how many of them the client reports running, and how many of
// those are healthy in their deployment.
func healthyAndRunning(t *testing.T, c *api.Client, jobID string) (healthy, running int) {
	t.Helper()
	allocs, _, err := c.Jobs().Allocations(jobID, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range allocs {
		if a.ClientStatus != api.AllocClientStatusRunning || a.DesiredStatus != "run" {
			continue
		}
		running++
		if a.DeploymentStatus.IsHealthy() {
			healthy++
		}
	}
	return healthy, running
}

// TestDevAgent_SurgeAvailability: a count-3 service rolled from its first
// version to its second by `orch job run` with max_surge = 1 and
// max_parallel = 0 has at least 3 healthy allocations at every instant of
// the update and never more than 4 running, rebuilt from the allocations'
// task states and health verdicts (an old allocation is healthy from its
// own deployment's verdict until its task is killed), and sampled through
// the API as a second check. It does surge (4 run at some instant), and
// ends with all 3 on the new version, the deployment successful and the
// version stable.
//
// Checked by hand once: with max_surge = 0 and max_parallel = 1 the test
// fails ("2 allocations healthy 34ms into the update; want at least 3"),
// and with max_surge = 2 ("5 allocations running 59ms into the update;
// want at most 4").
func TestDevAgent_SurgeAvailability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real tasks")
	}
	// atLeast and atMost are what surge promises a count of 3; they are
	// not derived from the update block, so a rollout that dips or
	// over-surges fails the test.
	const count, atLeast, atMost = 3, 3, 4
	const update = "    max_surge    = 1\n    max_parallel = 0"
	c := startDevAgent(t)
	if code, out, errOut := cliRun(t, c, "run", writeJob(t, rolloutJob("surge", count, update, "300"))); code != exitOK {
		t.Fatalf("first version: exit %d\n%s\n%s", code, out, errOut)
	}

	start := time.Now()
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	v2 := writeJob(t, rolloutJob("surge", count, update, "301"))
	go func() {
		code, out, errOut := cliRun(t, c, "run", v2)
		done <- result{code, out, errOut}
	}()
	sampledHealthy, sampledRunning := count, 0
	var run result
	deadline := time.After(60 * time.Second)
	for finished := false; !finished; {
		select {
		case run = <-done:
			finished = true
		case <-deadline:
			t.Fatal("job run still following the deployment after 60s")
		case <-time.After(50 * time.Millisecond):
			// The sampling interval of the second check, not a wait for
			// state.
		}
		healthy, running := healthyAndRunning(t, c, "surge")
		sampledHealthy, sampledRunning = min(sampledHealthy, healthy), max(sampledRunning, running)
	}
	end := time.Now()

	if run.code != exitOK || !strings.Contains(run.out, "successful") {
		t.Fatalf("second version: exit %d\n%s\n%s", run.code, run.out, run.errOut)
	}
	// The last old allocation is stopped by the evaluation the success
	// creates, which may still be running when job run returns.
	pollUntil(t, 10*time.Second, "all on version 1", func() (bool, string) {
		got := runningByVersion(t, c, "surge")
		return got[1] == count && len(got) == 1, fmt.Sprintf("running by version %v, want all %d on version 1", got, count)
	})
	depID := latestDeploymentOf(t, c, "surge", 1)
	if d, _, err := c.Deployments().Info(depID, nil); err != nil || d.Status != api.DeploymentStatusSuccessful {
		t.Fatalf("deployment %v: %v", d, err)
	}
	if !versionStable(t, c, "surge", 1) {
		t.Fatal("version 1 is not stable after its deployment succeeded")
	}

	waitFinished(t, c, "surge", 0)
	allocs, _, err := c.Jobs().Allocations("surge", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ivs := runIntervals(t, allocs)
	healthy := healthyIntervals(allocs, ivs)
	if len(ivs) != 2*count || len(healthy) != 2*count {
		t.Fatalf("%d allocations ran and %d were healthy, want %d old and %d new of each. Running times from the update's start:\n%s",
			len(ivs), len(healthy), count, count, describe(ivs, start))
	}
	low, _ := runningSpan(healthy, start, end)
	if low.n < atLeast {
		t.Fatalf("%d allocations healthy %s into the update; want at least %d. Healthy times from the update's start:\n%s",
			low.n, low.at.Sub(start), atLeast, describe(healthy, start))
	}
	_, high := runningSpan(ivs, start, end)
	if high.n > atMost {
		t.Fatalf("%d allocations running %s into the update; want at most %d. Running times from the update's start:\n%s",
			high.n, high.at.Sub(start), atMost, describe(ivs, start))
	}
	if high.n != atMost {
		t.Fatalf("at most %d allocations ran at once: the update never surged. Running times from the update's start:\n%s",
			high.n, describe(ivs, start))
	}
	t.Logf("update took %s; fewest healthy %d, %s into it; most running %d, %s into it (sampled: %d healthy, %d running)",
		end.Sub(start).Round(time.Millisecond), low.n, low.at.Sub(start), high.n, high.at.Sub(start), sampledHealthy, sampledRunning)
	if sampledHealthy < atLeast || sampledRunning > atMost {
		t.Fatalf("the API showed %d healthy and up to %d running during the update; want at least %d healthy and at most %d running",
			sampledHealthy, sampledRunning, atLeast, atMost)
	}
}

// TestDevAgent_CanaryDeployments: a count-2 service gets one canary that
// waits beside the two old allocations until `orch deployment promote`,
// then the rest roll; next, canary = count with auto_promote (blue/green)
// runs both full sets side by side, promotes itself once the canaries are
// healthy, stops the old set and succeeds with the canaries as the job.
func TestDevAgent_CanaryDeployments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real tasks")
	}
	const count = 2
	c := startDevAgent(t)
	if code, out, errOut := cliRun(t, c, "run", writeJob(t, rolloutJob("blue", count, "    max_parallel = 1", "300"))); code != exitOK {
		t.Fatalf("version 0: exit %d\n%s\n%s", code, out, errOut)
	}

	// Version 1: one canary, promoted by hand.
	canary := "    max_parallel = 1\n    canary = 1"
	if code, out, errOut := cliRun(t, c, "run", "-detach", writeJob(t, rolloutJob("blue", count, canary, "301"))); code != exitOK {
		t.Fatalf("version 1: exit %d\n%s\n%s", code, out, errOut)
	}
	depID := latestDeploymentOf(t, c, "blue", 1)
	pollUntil(t, 30*time.Second, "a healthy canary waiting for promotion", func() (bool, string) {
		d, _, err := c.Deployments().Info(depID, nil)
		if err != nil {
			return false, err.Error()
		}
		st := d.TaskGroups["g"]
		return st.HealthyAllocs == 1 && d.StatusDescription == "Deployment is running but requires manual promotion",
			fmt.Sprintf("%s: %+v", d.StatusDescription, st)
	})
	// The canary is healthy and the deployment waits: nothing else rolls.
	if got := runningByVersion(t, c, "blue"); got[0] != count || got[1] != 1 {
		t.Fatalf("before promotion, running by version %v; want %d old and the canary", got, count)
	}
	code, out, errOut := cliCmd(t, c, promoteCommand, depID)
	if code != exitOK || !strings.Contains(out, `finished with status "complete"`) {
		t.Fatalf("deployment promote: exit %d\n%s\n%s", code, out, errOut)
	}
	pollUntil(t, 30*time.Second, "the promoted deployment successful, all on version 1", func() (bool, string) {
		d, _, err := c.Deployments().Info(depID, nil)
		if err != nil {
			return false, err.Error()
		}
		got := runningByVersion(t, c, "blue")
		return d.Status == api.DeploymentStatusSuccessful && got[1] == count && len(got) == 1,
			fmt.Sprintf("%s, running %v", d.Status, got)
	})
	if d, _, _ := c.Deployments().Info(depID, nil); !d.TaskGroups["g"].Promoted {
		t.Fatalf("deployment succeeded without its group promoted: %+v", d.TaskGroups["g"])
	}

	// Version 2: blue/green, promoted automatically.
	blueGreen := fmt.Sprintf("    max_parallel = 1\n    canary = %d\n    auto_promote = true", count)
	start := time.Now()
	code, out, errOut = cliRun(t, c, "run", writeJob(t, rolloutJob("blue", count, blueGreen, "302")))
	end := time.Now()
	if code != exitOK || !strings.Contains(out, "successful") {
		t.Fatalf("version 2: exit %d\n%s\n%s", code, out, errOut)
	}
	depID = latestDeploymentOf(t, c, "blue", 2)
	d, _, err := c.Deployments().Info(depID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := d.TaskGroups["g"]; d.Status != api.DeploymentStatusSuccessful || !st.Promoted || st.DesiredCanaries != count {
		t.Fatalf("blue/green deployment %s (%s): %+v", d.Status, d.StatusDescription, st)
	}
	if !versionStable(t, c, "blue", 2) {
		t.Fatal("version 2 is not stable after its deployment succeeded")
	}
	waitFinished(t, c, "blue", 1)
	allocs, _, err := c.Jobs().Allocations("blue", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The canaries are the new version: nothing was placed after them.
	var canariesHealthyAt time.Time
	greens := 0
	for _, a := range allocs {
		if a.JobVersion != 2 {
			continue
		}
		greens++
		if a.DeploymentStatus == nil || !a.DeploymentStatus.Canary || !a.DeploymentStatus.IsHealthy() ||
			a.ClientStatus != api.AllocClientStatusRunning {
			t.Fatalf("version 2 allocation %s is %s, deployment status %+v; want a running healthy canary", a.ID, a.ClientStatus, a.DeploymentStatus)
		}
		if a.DeploymentStatus.Timestamp.After(canariesHealthyAt) {
			canariesHealthyAt = a.DeploymentStatus.Timestamp
		}
	}
	if greens != count {
		t.Fatalf("%d version 2 allocations, want the %d canaries only", greens, count)
	}
	var ivs []runInterval
	for _, iv := range runIntervals(t, allocs) {
		if iv.version == 1 || iv.version == 2 {
			ivs = append(ivs, iv)
		}
	}
	sideBySide := false
	sweep(ivs, start, end, func(_ time.Time, running map[uint64]int) {
		sideBySide = sideBySide || (running[1] == count && running[2] == count)
	})
	if !sideBySide {
		t.Fatalf("the old and the new set never ran side by side (%d each):\n%s", count, describe(ivs, start))
	}
	for _, iv := range ivs {
		if iv.version == 1 && iv.to.Before(canariesHealthyAt) {
			t.Fatalf("old allocation %s stopped %s before the last canary was healthy (auto-promotion)", iv.alloc, canariesHealthyAt.Sub(iv.to))
		}
	}
}
