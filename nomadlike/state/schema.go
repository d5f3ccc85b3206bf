package state

import "github.com/hashicorp/go-memdb"

// Table names; also the keys of the index table.
const (
	TableIndex      = "index"
	TableJobs       = "jobs"
	TableJobSummary = "job_summary"
	TableNodes      = "nodes"
	TableAllocs     = "allocs"
	TableEvals      = "evals"
	TableJobVersion = "job_version"
	indexID         = "id"
	indexType       = "type"
	indexNode       = "node"
	indexJob        = "job"
	indexEval       = "eval"
)

// TableSchedulerConfig holds at most one row, the scheduler configuration.
const TableSchedulerConfig = "scheduler_config"

// IndexEntry is a row of the index table: the Raft index of the last write
// to a table, which blocking queries compare against.
type IndexEntry struct {
	Key   string
	Value uint64
}

// nsIDIndex indexes objects by namespace and ID (or job ID) so that the same
// name in two namespaces are two objects.
func nsIDIndex(name, nsField, idField string, allowMissing bool) *memdb.IndexSchema {
	return &memdb.IndexSchema{
		Name:         name,
		AllowMissing: allowMissing,
		Unique:       name == indexID,
		Indexer: &memdb.CompoundIndex{
			Indexes: []memdb.Indexer{
				&memdb.StringFieldIndex{Field: nsField},
				&memdb.StringFieldIndex{Field: idField},
			},
		},
	}
}

func schema() *memdb.DBSchema {
	db := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		TableIndex: {
			Name: TableIndex,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			},
		},
		TableJobs: {
			Name: TableJobs,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:       nsIDIndex(indexID, "Namespace", "ID", false),
				indexType:     {Name: indexType, Indexer: &memdb.StringFieldIndex{Field: "Type", Lowercase: true}},
				indexPeriodic: periodicJobsIndex(),
				indexScaling:  scalingJobsIndex(),
			},
		},
		TableJobVersion: {
			Name: TableJobVersion,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: {
					Name:   indexID,
					Unique: true,
					Indexer: &memdb.CompoundIndex{
						Indexes: []memdb.Indexer{
							&memdb.StringFieldIndex{Field: "Namespace"},
							&memdb.StringFieldIndex{Field: "ID"},
							&memdb.UintFieldIndex{Field: "Version"},
						},
						AllowMissing: true,
					},
				},
			},
		},
		TablePeriodicLaunch:       periodicLaunchTable(),
		TableScalingEvent:         scalingEventTable(),
		TableServiceRegistrations: serviceRegistrationsTable(),
		TableJobSummary: {
			Name: TableJobSummary,
			Indexes: map[string]*memdb.IndexSchema{
				indexID: nsIDIndex(indexID, "Namespace", "JobID", false),
			},
		},
		TableNodes: {
			Name: TableNodes,
			Indexes: map[string]*memdb.IndexSchema{
				// Node IDs are UUIDs, but a prefix lookup must also accept
				// an odd number of hex digits, which the UUID index refuses.
				indexID: {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
			},
		},
		TableAllocs: {
			Name: TableAllocs,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:   {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				indexNode: {Name: indexNode, Indexer: &memdb.StringFieldIndex{Field: "NodeID"}},
				indexJob:  nsIDIndex(indexJob, "Namespace", "JobID", false),
				indexEval: {Name: indexEval, Indexer: &memdb.StringFieldIndex{Field: "EvalID"}},
			},
		},
		TableEvals: {
			Name: TableEvals,
			Indexes: map[string]*memdb.IndexSchema{
				indexID:  {Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
				indexJob: nsIDIndex(indexJob, "Namespace", "JobID", false),
			},
		},
		TableSchedulerConfig: {
			Name: TableSchedulerConfig,
			Indexes: map[string]*memdb.IndexSchema{
				// Every row indexes as true, so the table holds one row.
				indexID: {Name: indexID, Unique: true, Indexer: &memdb.ConditionalIndex{
					Conditional: func(interface{}) (bool, error) { return true, nil },
				}},
			},
		},
	}}
	addDeploymentSchema(db)
	return db
}
