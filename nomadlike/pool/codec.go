package pool

import (
	"errors"
	"reflect"
	"strings"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// RPCType is the first byte of a connection to the RPC port.
type RPCType byte

const (
	// RPCNomad selects msgpack net/rpc.
	RPCNomad RPCType = 0x01
	// RPCRaft selects the Raft transport.
	RPCRaft RPCType = 0x02
)

// MsgpackHandle is the codec handle of every RPC and Raft log entry. Free
// form maps (a task's driver config) decode as map[string]interface{} and
// strings as strings, so a decoded job equals the one encoded. Only
// `codec` struct tags count: `json:"-"` hides a field from the HTTP API
// (a node's SecretID), not from the servers.
var MsgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.TypeInfos = codec.NewTypeInfos([]string{"codec"})
	h.RawToString = true
	h.WriteExt = true
	h.MapType = reflect.TypeOf(map[string]interface{}(nil))
	return h
}()

// remoteError is an error an RPC endpoint returned, rebuilt from its text.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// sentinels are the structs errors callers branch on, in the order they are
// looked for in an error's text.
var sentinels = []error{
	structs.ErrNoLeader,
	structs.ErrNotFound,
	structs.ErrPermission,
	structs.ErrBadRequest,
	structs.ErrIndexChanged,
}

// ErrorFromString rebuilds an RPC error from its text: the result unwraps
// to the structs sentinel whose text it contains, if any.
func ErrorFromString(msg string) error {
	e := &remoteError{msg: msg}
	for _, s := range sentinels {
		if strings.Contains(msg, s.Error()) {
			e.sentinel = s
			break
		}
	}
	return e
}

// IsRemote reports whether err is an error a server's endpoint answered
// with, as opposed to a failure to reach the server or to carry the call:
// after a remote error the connection is fine and the server is up.
func IsRemote(err error) bool {
	var re *remoteError
	return errors.As(err, &re)
}

// IsErrNotFound reports whether err, local or remote, means the object
// asked for does not exist.
func IsErrNotFound(err error) bool { return isErr(err, structs.ErrNotFound) }

// IsErrNoLeader reports whether err means the cluster has no leader (the
// caller may retry later).
func IsErrNoLeader(err error) bool { return isErr(err, structs.ErrNoLeader) }

// IsErrBadRequest reports whether err means the request was invalid.
func IsErrBadRequest(err error) bool { return isErr(err, structs.ErrBadRequest) }

// IsErrIndexChanged reports whether err means an EnforceIndex write lost
// the race with another write.
func IsErrIndexChanged(err error) bool { return isErr(err, structs.ErrIndexChanged) }

func isErr(err, sentinel error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, sentinel) || strings.Contains(err.Error(), sentinel.Error())
}
