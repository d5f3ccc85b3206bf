package api

import (
	"net/http"
	"net/url"
)

// Services is the service catalog part of the API (/v1/services,
// /v1/service/:name).
type Services struct{ client *Client }

// Services returns the service catalog endpoints.
func (c *Client) Services() *Services { return &Services{client: c} }

// ServiceRegistration is one instance of a service in the catalog, as
// Nomad's, plus Status, the worst of its checks' results.
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
	Status      string
	CreateIndex uint64
	ModifyIndex uint64
}

// ServiceRegistrationStub is a service name with its instances' tags.
type ServiceRegistrationStub struct {
	ServiceName string
	Tags        []string
	// Published (orch extension, absent when false) says an instance has
	// a publish block: the clients' load balancers serve the service.
	Published bool `json:",omitempty"`
}

// ServiceRegistrationListStub lists the services of one namespace.
type ServiceRegistrationListStub struct {
	Namespace string
	Services  []*ServiceRegistrationStub
}

// List returns the services of the namespace ("*" for every namespace).
func (s *Services) List(q *QueryOptions) ([]*ServiceRegistrationListStub, *QueryMeta, error) {
	var out []*ServiceRegistrationListStub
	qm, err := s.client.query("/v1/services", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Get returns the instances of a service; with q.WaitIndex it blocks
// until they change.
func (s *Services) Get(name string, q *QueryOptions) ([]*ServiceRegistration, *QueryMeta, error) {
	var out []*ServiceRegistration
	qm, err := s.client.query("/v1/service/"+url.PathEscape(name), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Delete removes one instance of a service from the catalog.
func (s *Services) Delete(name, id string, q *WriteOptions) (*WriteMeta, error) {
	return s.client.write(http.MethodDelete, "/v1/service/"+url.PathEscape(name)+"/"+url.PathEscape(id), nil, nil, q)
}
