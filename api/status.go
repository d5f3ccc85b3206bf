package api

// Status is the cluster status part of the API.
type Status struct{ client *Client }

// Status returns the status endpoints.
func (c *Client) Status() *Status { return &Status{client: c} }

// Leader returns the RPC address of the Raft leader, "" when none is known.
func (s *Status) Leader() (string, error) {
	var out string
	if _, err := s.client.query("/v1/status/leader", &out, nil); err != nil {
		return "", err
	}
	return out, nil
}

// Peers returns the RPC addresses of the Raft peers.
func (s *Status) Peers() ([]string, error) {
	var out []string
	if _, err := s.client.query("/v1/status/peers", &out, nil); err != nil {
		return nil, err
	}
	return out, nil
}
