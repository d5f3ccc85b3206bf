package structs

import "testing"

func TestTaskGroupCopyMigrate(t *testing.T) {
	t.Parallel()
	tg := &TaskGroup{Name: "g", Migrate: &MigrateStrategy{MaxParallel: 2, HealthCheck: MigrateHealthCheckChecks}}
	c := tg.Copy()
	c.Migrate.MaxParallel = 5
	if tg.Migrate.MaxParallel != 2 {
		t.Fatalf("copy shares the migrate strategy")
	}
}
