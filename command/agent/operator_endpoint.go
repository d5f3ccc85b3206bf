package agent

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// maxSnapshotRestoreBytes caps a restore upload. The archive travels to
// the leader in one RPC and is held in memory there, so the cap protects
// the servers from a stray upload of something huge.
const maxSnapshotRestoreBytes = 1 << 30

func (s *HTTPServer) operatorRaftConfiguration(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.GenericRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.RaftConfigurationResponse
	if err := s.rpc.RPC(structs.OperatorRaftGetConfigurationRPC, &args, &out); err != nil {
		return nil, err
	}
	out.Servers = emptyIfNil(out.Servers)
	return out, nil
}

// operatorRaftPeer removes a peer named by ?address= or ?id=; exactly one.
func (s *HTTPServer) operatorRaftPeer(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	q := r.URL.Query()
	args := structs.RaftPeerRemoveRequest{Address: q.Get("address"), ID: q.Get("id"), WriteRequest: s.writeRequest(r)}
	if (args.Address == "") == (args.ID == "") {
		return nil, badRequest("name the peer to remove with exactly one of ?address=<host:port> or ?id=<raft server id>")
	}
	var out structs.GenericResponse
	if err := s.rpc.RPC(structs.OperatorRaftRemovePeerRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	w.WriteHeader(http.StatusOK)
	return nil, nil
}

// operatorSnapshotSave answers with the archive, and a Digest header the
// client checks the bytes it received against.
func (s *HTTPServer) operatorSnapshotSave(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.SnapshotSaveRequest
	if err := s.parseQueryOptions(r, &args.QueryOptions); err != nil {
		return nil, err
	}
	var out structs.SnapshotSaveResponse
	if err := s.rpc.RPC(structs.OperatorSnapshotSaveRPC, &args, &out); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(out.Archive)
	setMeta(w, &out.QueryMeta)
	w.Header().Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum[:]))
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(out.Archive)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(out.Archive); err != nil {
		s.logger.Warn("snapshot download cut short", "remote", r.RemoteAddr, "error", err)
	}
	return nil, nil
}

func (s *HTTPServer) operatorSnapshotRestore(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	archive, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSnapshotRestoreBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &codedError{code: http.StatusRequestEntityTooLarge,
				msg: "snapshot archive is larger than the 1 GiB a restore accepts"}
		}
		return nil, badRequest("reading the snapshot archive from the request: %v", err)
	}
	if len(archive) == 0 {
		return nil, badRequest("the request body is empty: send the snapshot archive written by \"orch operator snapshot save\"")
	}
	args := structs.SnapshotRestoreRequest{Archive: archive, WriteRequest: s.writeRequest(r)}
	var out structs.GenericResponse
	if err := s.rpc.RPC(structs.OperatorSnapshotRestoreRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	w.WriteHeader(http.StatusOK)
	return nil, nil
}
