package structs

import "time"

// Services, checks and the built-in service catalog: the shared contract of
// the jobspec's service blocks, the clients that run checks and register
// instances, the servers' catalog, and the DNS server and load balancer that
// read it. Field names are Nomad's where Nomad has the field.

// Service providers: orch's built-in catalog answers to both names, so a
// Nomad jobspec with provider = "nomad" runs unchanged.
const (
	ServiceProviderOrch  = "orch"
	ServiceProviderNomad = "nomad"
)

// Check types.
const (
	ServiceCheckHTTP   = "http"
	ServiceCheckTCP    = "tcp"
	ServiceCheckScript = "script"
	ServiceCheckGRPC   = "grpc"
)

// Check and instance health, as Consul and Nomad name it.
const (
	HealthPassing  = "passing"
	HealthWarning  = "warning"
	HealthCritical = "critical"
)

// Service is a service block of a group or a task.
type Service struct {
	Name string
	// TaskName is the task the service belongs to: set for a task's
	// service, and for a group service that names one (script checks run
	// in it).
	TaskName    string
	PortLabel   string
	AddressMode string
	Provider    string
	Tags        []string
	Meta        map[string]string
	Checks      []*ServiceCheck
	// Publish, an orch extension, asks every client to serve the service
	// on a port of its own through the built-in load balancer.
	Publish *ServicePublish
}

// ServiceCheck is a check block of a service.
type ServiceCheck struct {
	Name      string
	Type      string
	PortLabel string
	Path      string
	Method    string
	Protocol  string
	Header    map[string][]string
	// Expected status codes of an http check; empty means any 2xx.
	ExpectedStatus []int
	Command        string
	Args           []string
	TaskName       string
	GRPCService    string
	GRPCUseTLS     bool
	TLSSkipVerify  bool
	Interval       time.Duration
	Timeout        time.Duration
	InitialStatus  string
	OnUpdate       string
	CheckRestart   *CheckRestart
}

// CheckRestart restarts a task whose check keeps failing (liveness).
type CheckRestart struct {
	Limit          int
	Grace          time.Duration
	IgnoreWarnings bool
}

// ServicePublish is how the load balancer on every client exposes a
// service (orch extension).
type ServicePublish struct {
	// Port is the port every client listens on for the service.
	Port int
	// Mode is "tcp" or "http".
	Mode string
	// Balance is "round_robin" (default) or "least_conn".
	Balance string
	// ClientAffinity "client_ip" keeps a client address on one instance
	// while it stays healthy.
	ClientAffinity string
}

// Load balancer modes, strategies and affinities of ServicePublish.
const (
	PublishModeTCP           = "tcp"
	PublishModeHTTP          = "http"
	PublishBalanceRoundRobin = "round_robin"
	PublishBalanceLeastConn  = "least_conn"
	PublishAffinityClientIP  = "client_ip"
)

// ServiceRegistration is one instance of a service in the catalog:
// Nomad's native service registration, plus the instance's health.
type ServiceRegistration struct {
	ID          string
	ServiceName string
	Namespace   string
	NodeID      string
	Datacenter  string
	JobID       string
	AllocID     string
	Tags        []string
	Address     string
	Port        int
	// Status is the worst of the instance's check results ("passing"
	// without checks). DNS and the load balancer use passing instances
	// only.
	Status string
	// Publish is copied by the registering client from the service block
	// (orch extension, may be nil), so every client's load balancer can
	// tell which services to serve without reading jobs.
	Publish     *ServicePublish
	CreateIndex uint64
	ModifyIndex uint64
}

// Service catalog RPCs.
const (
	ServiceRegistrationListRPC   = "ServiceRegistration.List"
	ServiceRegistrationGetRPC    = "ServiceRegistration.GetService"
	ServiceRegistrationUpsertRPC = "ServiceRegistration.Upsert"
	ServiceRegistrationDeleteRPC = "ServiceRegistration.DeleteByID"
)

// ServiceRegistrationListRequest lists service names per namespace.
type ServiceRegistrationListRequest struct {
	QueryOptions
}

// ServiceRegistrationStub is one service name with the union of its
// instances' tags, as Nomad's /v1/services lists them.
type ServiceRegistrationStub struct {
	ServiceName string
	Tags        []string
	// Published (orch extension, left out of the JSON when false, so a
	// Nomad client sees Nomad's shape) is set when an instance carries a
	// publish block: the clients' load balancers watch only these.
	Published bool `json:",omitempty"`
}

// ServiceRegistrationListStub groups the stubs of one namespace.
type ServiceRegistrationListStub struct {
	Namespace string
	Services  []*ServiceRegistrationStub
}

// ServiceRegistrationListResponse answers ServiceRegistrationListRequest.
type ServiceRegistrationListResponse struct {
	Services []*ServiceRegistrationListStub
	QueryMeta
}

// ServiceRegistrationByNameRequest asks for the instances of one service.
type ServiceRegistrationByNameRequest struct {
	ServiceName string
	QueryOptions
}

// ServiceRegistrationByNameResponse lists a service's instances.
type ServiceRegistrationByNameResponse struct {
	Services []*ServiceRegistration
	QueryMeta
}

// ServiceRegistrationUpsertRequest is sent by a client for the instances
// of its allocations (new ones or changed health).
type ServiceRegistrationUpsertRequest struct {
	Services []*ServiceRegistration
	// SecretID is the sending node's secret: a client may only write the
	// instances of its own node.
	SecretID string
	WriteRequest
}

// ServiceRegistrationDeleteByIDRequest removes one instance.
type ServiceRegistrationDeleteByIDRequest struct {
	ID string
	// SecretID, when a client deletes, is its node's secret and must
	// match the instance's node; an operator's delete (HTTP) sends none.
	SecretID string
	WriteRequest
}

// Raft message types of the service catalog (the range given to the
// services work).
const (
	ServiceRegistrationUpsertRequestType MessageType = 50
	ServiceRegistrationDeleteRequestType MessageType = 51
)

// ServiceRegistrationDeleteMsg is the body of a delete entry: by IDs, by
// allocations, or both.
type ServiceRegistrationDeleteMsg struct {
	IDs      []string
	AllocIDs []string
}
