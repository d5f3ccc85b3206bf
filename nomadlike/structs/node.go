package structs

const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"

	NodeSchedulingEligible   = "eligible"
	NodeSchedulingIneligible = "ineligible"
)

// Node is a client machine that runs allocations.
type Node struct {
	ID string
	// SecretID authenticates the node's own RPCs; never shown by the API.
	SecretID          string `json:"-"`
	Datacenter        string
	Name              string
	HTTPAddr          string
	TLSEnabled        bool
	Attributes        map[string]string
	NodeResources     *NodeResources
	ReservedResources *NodeReservedResources
	Meta              map[string]string
	NodeClass         string
	NodePool          string
	Drain             bool
	// DrainStrategy is set while the node drains; nil otherwise.
	DrainStrategy         *DrainStrategy
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	StatusUpdatedAt       int64
	Drivers               map[string]*DriverInfo
	// HostVolumes are the host directories the client offers to jobs,
	// by name.
	HostVolumes map[string]*ClientHostVolumeConfig
	CreateIndex uint64
	ModifyIndex uint64

	// ComputedClass groups nodes that drivers and constraints cannot tell
	// apart (see ComputeClass); servers set it at registration.
	ComputedClass string
}

// NodeListStub is the row of a node list.
type NodeListStub struct {
	Address               string
	ID                    string
	Attributes            map[string]string `json:",omitempty"`
	Datacenter            string
	Name                  string
	NodeClass             string
	NodePool              string
	Version               string
	Drain                 bool
	SchedulingEligibility string
	Status                string
	StatusDescription     string
	Drivers               map[string]*DriverInfo
	// NodeResources and ReservedResources are set only when the list
	// was asked for resources.
	NodeResources     *NodeResources         `json:",omitempty"`
	ReservedResources *NodeReservedResources `json:",omitempty"`
	CreateIndex       uint64
	ModifyIndex       uint64
}

// Ready reports whether the scheduler may place new work on the node.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && !n.Drain && n.SchedulingEligibility == NodeSchedulingEligible
}

// Stub returns the list row of the node.
func (n *Node) Stub() *NodeListStub {
	return &NodeListStub{
		Address:               n.Attributes["unique.network.ip-address"],
		ID:                    n.ID,
		Datacenter:            n.Datacenter,
		Name:                  n.Name,
		NodeClass:             n.NodeClass,
		NodePool:              n.NodePool,
		Version:               n.Attributes["nomad.version"],
		Drain:                 n.Drain,
		SchedulingEligibility: n.SchedulingEligibility,
		Status:                n.Status,
		StatusDescription:     n.StatusDescription,
		Drivers:               n.Drivers,
		CreateIndex:           n.CreateIndex,
		ModifyIndex:           n.ModifyIndex,
	}
}
