package api

import (
	"errors"
	"net/http"
)

// Agent is the part of the API about the agent answering the request.
type Agent struct{ client *Client }

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{client: c} }

// AgentSelf describes the agent: its effective configuration, its gossip
// member entry and runtime statistics.
type AgentSelf struct {
	Config map[string]interface{}       `json:"config"`
	Member AgentMember                  `json:"member"`
	Stats  map[string]map[string]string `json:"stats"`
}

// AgentMember is one server in the gossip pool.
type AgentMember struct {
	Name        string
	Addr        string
	Port        uint16
	Tags        map[string]string
	Status      string
	ProtocolMin uint8
	ProtocolMax uint8
	ProtocolCur uint8
	DelegateMin uint8
	DelegateMax uint8
	DelegateCur uint8
}

// ServerMembers lists the servers this agent knows of.
type ServerMembers struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*AgentMember
}

// AgentHealthResponse is the health of the agent's server and client
// parts; a part the agent does not run is nil.
type AgentHealthResponse struct {
	Server *AgentHealth `json:"server,omitempty"`
	Client *AgentHealth `json:"client,omitempty"`
}

// AgentHealth is the health of one part of the agent.
type AgentHealth struct {
	Ok      bool   `json:"ok"`
	Message string `json:"message"`
}

// Self describes the agent.
func (a *Agent) Self() (*AgentSelf, error) {
	var out AgentSelf
	if _, err := a.client.query("/v1/agent/self", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Health reports whether the agent's server and client are working. An
// unhealthy agent answers 500, so the error's Body names the failing part.
func (a *Agent) Health() (*AgentHealthResponse, error) {
	var out AgentHealthResponse
	if _, err := a.client.query("/v1/agent/health", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Members lists the servers this agent knows of.
func (a *Agent) Members() (*ServerMembers, error) {
	var out ServerMembers
	if _, err := a.client.query("/v1/agent/members", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// joinResponse is the body of PUT /v1/agent/join.
type joinResponse struct {
	NumJoined int    `json:"num_joined"`
	Error     string `json:"error"`
}

// Join asks the agent's server to join the gossip pool at addrs (host or
// host:port of a server's serf port) and returns how many answered. A
// join that reached nobody is an error.
func (a *Agent) Join(addrs ...string) (int, error) {
	r := a.client.newRequest(http.MethodPut, "/v1/agent/join")
	for _, addr := range addrs {
		r.params.Add("address", addr)
	}
	resp, _, err := a.client.do(r)
	if err != nil {
		return 0, err
	}
	var out joinResponse
	if err := decodeBody(resp, &out); err != nil {
		return 0, err
	}
	if out.Error != "" {
		return out.NumJoined, errors.New(out.Error)
	}
	return out.NumJoined, nil
}
