package api

import "net/url"

// Allocations is the allocation part of the API.
type Allocations struct{ client *Client }

// Allocations returns the allocation endpoints.
func (c *Client) Allocations() *Allocations { return &Allocations{client: c} }

// List returns the allocations of the namespace.
func (a *Allocations) List(q *QueryOptions) ([]*AllocationListStub, *QueryMeta, error) {
	var out []*AllocationListStub
	qm, err := a.client.query("/v1/allocations", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// PrefixList returns the allocations whose ID starts with prefix.
func (a *Allocations) PrefixList(prefix string) ([]*AllocationListStub, *QueryMeta, error) {
	return a.List(&QueryOptions{Prefix: prefix})
}

// Info reads one allocation by its full ID.
func (a *Allocations) Info(allocID string, q *QueryOptions) (*Allocation, *QueryMeta, error) {
	var out Allocation
	qm, err := a.client.query("/v1/allocation/"+url.PathEscape(allocID), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}
