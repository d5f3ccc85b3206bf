package api

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
)

// Operator is the cluster operator part of the API: the Raft peer set and
// snapshots of the whole state.
type Operator struct{ client *Client }

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{client: c} }

// RaftServer is one peer of the Raft configuration.
type RaftServer struct {
	// ID is the peer's Raft server ID.
	ID string
	// Node is its node name, "(unknown)" when the answering server cannot
	// tell it.
	Node string
	// Address is its Raft (and RPC) address, host:port.
	Address      string
	Leader       bool
	Voter        bool
	RaftProtocol string
}

// RaftConfiguration is the Raft peer set and the log index it is current
// as of.
type RaftConfiguration struct {
	Servers []*RaftServer
	Index   uint64
}

// RaftGetConfiguration lists the Raft peers as the leader sees them (any
// server's view with q.AllowStale).
func (op *Operator) RaftGetConfiguration(q *QueryOptions) (*RaftConfiguration, error) {
	var out RaftConfiguration
	if _, err := op.client.query("/v1/operator/raft/configuration", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// RaftRemovePeerByAddress removes the peer at address (host:port) from
// the Raft configuration.
func (op *Operator) RaftRemovePeerByAddress(address string, q *WriteOptions) error {
	return op.raftRemovePeer("address", address, q)
}

// RaftRemovePeerByID removes the peer with Raft ID id from the Raft
// configuration.
func (op *Operator) RaftRemovePeerByID(id string, q *WriteOptions) error {
	return op.raftRemovePeer("id", id, q)
}

func (op *Operator) raftRemovePeer(param, value string, q *WriteOptions) error {
	r := op.client.newRequest(http.MethodDelete, "/v1/operator/raft/peer")
	r.setWriteOptions(q)
	r.params.Set(param, value)
	resp, _, err := op.client.do(r)
	if err != nil {
		return err
	}
	return decodeBody(resp, nil)
}

// Snapshot streams a point-in-time snapshot archive of the cluster state
// from the leader. The caller must close the reader; a read that reaches
// the end fails if the content does not match the digest the agent sent,
// so a transfer cut short or damaged is never taken for a whole archive.
func (op *Operator) Snapshot(q *QueryOptions) (io.ReadCloser, error) {
	r := op.client.newRequest(http.MethodGet, "/v1/operator/snapshot")
	r.setQueryOptions(q)
	resp, _, err := op.client.do(r)
	if err != nil {
		return nil, err
	}
	want, err := parseDigest(resp.Header.Get("Digest"))
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	return &digestReader{body: resp.Body, hash: sha256.New(), want: want}, nil
}

// SnapshotRestore replaces the cluster's state with the archive read from
// in. The agent refuses a damaged archive without changing anything.
func (op *Operator) SnapshotRestore(in io.Reader, q *WriteOptions) (*WriteMeta, error) {
	r := op.client.newRequest(http.MethodPut, "/v1/operator/snapshot")
	r.setWriteOptions(q)
	req, err := op.client.toHTTP(r)
	if err != nil {
		return nil, err
	}
	// Streamed rather than buffered: archives can be large, and a
	// restore is never retried.
	req.Body = io.NopCloser(in)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := op.client.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("snapshot restore: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, &UnexpectedResponseError{StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return &WriteMeta{LastIndex: parseQueryMeta(resp).LastIndex}, nil
}

// parseDigest reads a "sha-256=<base64>" Digest header.
func parseDigest(h string) ([]byte, error) {
	algo, value, ok := strings.Cut(h, "=")
	if !ok || !strings.EqualFold(algo, "sha-256") {
		return nil, fmt.Errorf("snapshot: response has Digest %q, want sha-256=<base64>", h)
	}
	sum, err := base64.StdEncoding.DecodeString(value)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("snapshot: response has a malformed sha-256 digest %q", value)
	}
	return sum, nil
}

// ErrSnapshotDigest is returned at the end of a snapshot stream whose
// content does not match the digest the agent sent.
var ErrSnapshotDigest = errors.New("snapshot: content does not match the agent's digest")

// digestReader hashes a response body as it is read and checks the sum
// at EOF.
type digestReader struct {
	body io.ReadCloser
	hash hash.Hash
	want []byte
}

func (d *digestReader) Read(p []byte) (int, error) {
	n, err := d.body.Read(p)
	d.hash.Write(p[:n])
	if err == io.EOF && string(d.hash.Sum(nil)) != string(d.want) {
		return n, ErrSnapshotDigest
	}
	return n, err
}

func (d *digestReader) Close() error { return d.body.Close() }
