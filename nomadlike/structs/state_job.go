package structs

import "reflect"

// SpecChanged reports whether other differs from j in anything the user
// wrote, ignoring what the servers maintain (status, version, submit time
// and Raft indexes). A change bumps the job's Version and JobModifyIndex.
func (j *Job) SpecChanged(other *Job) bool {
	if j == nil || other == nil {
		return j != other
	}
	a, b := *j, *other
	for _, c := range []*Job{&a, &b} {
		c.Status, c.StatusDescription, c.Stable = "", "", false
		c.Version, c.SubmitTime = 0, 0
		c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	}
	return !reflect.DeepEqual(&a, &b)
}
