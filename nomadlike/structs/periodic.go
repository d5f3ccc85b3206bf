package structs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	// The zone database is linked in so that time_zone works on hosts
	// without /usr/share/zoneinfo (minimal containers): orch is one static
	// binary.
	_ "time/tzdata"

	"github.com/hashicorp/cronexpr"
)

// Periodic and parameterized jobs, as Nomad names their parts.
const (
	// PeriodicSpecCron is the only spec type: cron expressions.
	PeriodicSpecCron = "cron"
	// PeriodicLaunchSuffix joins a periodic parent's ID and a launch's
	// Unix time into the child's ID: "<parent>/periodic-<unix seconds>".
	PeriodicLaunchSuffix = "/periodic-"
	// DispatchLaunchSuffix joins a parameterized parent's ID and a
	// dispatch's Unix time and random part into the child's ID.
	DispatchLaunchSuffix = "/dispatch-"
	// DispatchPayloadSizeLimit bounds a dispatch payload, as Nomad: it is
	// stored in the job, in Raft, and on every client running the job.
	DispatchPayloadSizeLimit = 16 * 1024

	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
	DispatchPayloadForbidden = "forbidden"

	// EvalTriggerPeriodicJob marks the evaluation of a periodic launch.
	EvalTriggerPeriodicJob = "periodic-job"
)

// PeriodicConfig launches a child job of its job at the times its cron
// expressions name, in its time zone.
type PeriodicConfig struct {
	Enabled bool
	// Spec is the older single expression; Specs the newer list. A job
	// sets one of them.
	Spec     string
	Specs    []string
	SpecType string
	// ProhibitOverlap skips a launch while an earlier child still runs.
	ProhibitOverlap bool
	// TimeZone is an IANA zone name the expressions are read in.
	TimeZone string
}

// ParameterizedJobConfig makes a job a template that runs only when
// dispatched, each dispatch with its own meta and payload.
type ParameterizedJobConfig struct {
	// Payload is "optional", "required" or "forbidden".
	Payload      string
	MetaRequired []string
	MetaOptional []string
}

// DispatchPayloadConfig writes a dispatched job's payload into the task's
// local/ directory, under File, before the task starts.
type DispatchPayloadConfig struct {
	File string
}

// PeriodicLaunch is the last launch of a periodic job: the row a new leader
// reads so that it neither launches again what was launched nor forgets a
// launch that fell due while there was no leader.
type PeriodicLaunch struct {
	ID          string
	Namespace   string
	Launch      time.Time
	CreateIndex uint64
	ModifyIndex uint64
}

// IsPeriodic reports whether the job has a periodic block.
func (j *Job) IsPeriodic() bool { return j != nil && j.Periodic != nil }

// IsPeriodicActive reports whether the servers launch the job's children
// on its schedule: a parameterized job is launched only by dispatches
// (whose children then carry the schedule), and a stopped one not at all.
func (j *Job) IsPeriodicActive() bool {
	return j.IsPeriodic() && j.Periodic.Enabled && !j.Stop && !j.IsParameterized()
}

// IsParameterized reports whether the job is a template to dispatch; a
// dispatched child keeps the block but is not one.
func (j *Job) IsParameterized() bool {
	return j != nil && j.ParameterizedJob != nil && !j.Dispatched
}

// specs returns the job's expressions, the older single one included.
func (p *PeriodicConfig) specs() []string {
	if p.Spec == "" {
		return p.Specs
	}
	return append([]string{p.Spec}, p.Specs...)
}

// Location returns the zone the expressions are read in (UTC when unset
// or unknown; Validate refuses unknown zones).
func (p *PeriodicConfig) Location() *time.Location {
	if p.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Next returns the first launch time strictly after from, read in the
// job's time zone: the earliest over all of its expressions. It is the
// zero time when none fires again. Where clocks spring forward, a wall
// time that does not exist that day does not fire; where they fall back,
// a wall time that happens twice fires twice (cronexpr's reading, which
// Nomad shares).
func (p *PeriodicConfig) Next(from time.Time) time.Time {
	from = from.In(p.Location())
	var next time.Time
	for _, s := range p.specs() {
		e, err := cronexpr.Parse(s)
		if err != nil {
			continue
		}
		t := e.Next(from)
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

func (p *PeriodicConfig) validate(pr *problems, path string, now time.Time) {
	if !p.Enabled {
		return
	}
	if p.SpecType != PeriodicSpecCron {
		pr.addf(path+".SpecType", "%q is not a spec type: want %q", p.SpecType, PeriodicSpecCron)
		return
	}
	switch {
	case p.Spec == "" && len(p.Specs) == 0:
		pr.addf(path+".Specs", "missing cron expression: set Specs (crons) or Spec (cron)")
	case p.Spec != "" && len(p.Specs) > 0:
		pr.addf(path+".Spec", "set either Spec (cron) or Specs (crons), not both")
	}
	loc := time.UTC
	if p.TimeZone != "" {
		l, err := time.LoadLocation(p.TimeZone)
		if err != nil {
			pr.addf(path+".TimeZone", "%q is not a known time zone: want an IANA name such as \"America/New_York\"", p.TimeZone)
		} else {
			loc = l
		}
	}
	if p.Spec != "" {
		if err := CheckCron(p.Spec, now.In(loc)); err != nil {
			pr.addf(path+".Spec", "%v", err)
		}
	}
	for i, s := range p.Specs {
		if err := CheckCron(s, now.In(loc)); err != nil {
			pr.addf(fmt.Sprintf("%s.Specs[%d]", path, i), "%v", err)
		}
	}
}

// CheckCron reports whether s is a cron expression that fires at least
// once after now.
func CheckCron(s string, now time.Time) error {
	e, err := cronexpr.Parse(s)
	if err != nil {
		return fmt.Errorf("invalid cron expression %q: %w", s, err)
	}
	if e.Next(now).IsZero() {
		return fmt.Errorf("cron expression %q never fires after %s", s, now.Format(time.RFC3339))
	}
	return nil
}

func (c *ParameterizedJobConfig) validate(p *problems, path string) {
	switch c.Payload {
	case DispatchPayloadOptional, DispatchPayloadRequired, DispatchPayloadForbidden:
	default:
		p.addf(path+".Payload", "%q is not a payload mode: want %q, %q or %q", c.Payload,
			DispatchPayloadOptional, DispatchPayloadRequired, DispatchPayloadForbidden)
	}
	for _, k := range c.MetaRequired {
		if slices.Contains(c.MetaOptional, k) {
			p.addf(path+".MetaOptional", "meta key %q is also in MetaRequired: a key is either required or optional", k)
		}
	}
}

func (d *DispatchPayloadConfig) validate(p *problems, path string) {
	switch {
	case strings.TrimSpace(d.File) == "":
		p.addf(path+".File", "missing file name")
	case ArtifactDestEscapes(d.File):
		p.addf(path+".File", "%q leaves the task's local/ directory: want a relative path without \"..\"", d.File)
	}
}

// validatePeriodicAndParameterized checks the blocks that make a job a
// parent of launched or dispatched children.
func (j *Job) validatePeriodicAndParameterized(p *problems, now time.Time) {
	batchLike := j.Type == JobTypeBatch || j.Type == JobTypeSysBatch
	if j.Periodic != nil {
		if j.Periodic.Enabled && !batchLike {
			p.addf("Periodic", "a %s job cannot be periodic: periodic is for %q and %q jobs", j.Type, JobTypeBatch, JobTypeSysBatch)
		}
		j.Periodic.validate(p, "Periodic", now)
	}
	if j.ParameterizedJob != nil {
		if !batchLike {
			p.addf("ParameterizedJob", "a %s job cannot be parameterized: parameterized is for %q and %q jobs", j.Type, JobTypeBatch, JobTypeSysBatch)
		}
		j.ParameterizedJob.validate(p, "ParameterizedJob")
	}
	if len(j.Payload) > DispatchPayloadSizeLimit {
		p.addf("Payload", "%d bytes is over the limit of %d", len(j.Payload), DispatchPayloadSizeLimit)
	}
}

// Copy returns a deep copy.
func (p *PeriodicConfig) Copy() *PeriodicConfig {
	if p == nil {
		return nil
	}
	c := *p
	c.Specs = slices.Clone(p.Specs)
	return &c
}

// Copy returns a deep copy.
func (c *ParameterizedJobConfig) Copy() *ParameterizedJobConfig {
	if c == nil {
		return nil
	}
	n := *c
	n.MetaRequired = slices.Clone(c.MetaRequired)
	n.MetaOptional = slices.Clone(c.MetaOptional)
	return &n
}

// Copy returns a deep copy.
func (d *DispatchPayloadConfig) Copy() *DispatchPayloadConfig {
	if d == nil {
		return nil
	}
	n := *d
	return &n
}

// PeriodicChildID is the ID of the child launched at t.
func PeriodicChildID(parentID string, t time.Time) string {
	return parentID + PeriodicLaunchSuffix + strconv.FormatInt(t.Unix(), 10)
}

// PeriodicLaunchTime returns the launch time a periodic child's ID
// carries, and whether childID is the ID of a child of parentID.
func PeriodicLaunchTime(parentID, childID string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(childID, parentID+PeriodicLaunchSuffix)
	if !ok {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0).UTC(), true
}
