package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// Origins of a log offset.
const (
	OriginStart = "start"
	OriginEnd   = "end"
)

// StreamFrame is one chunk of a streamed file. Frames with no Data and no
// FileEvent are heartbeats that keep idle connections open.
type StreamFrame struct {
	Offset    int64  `json:",omitempty"`
	Data      []byte `json:",omitempty"`
	File      string `json:",omitempty"`
	FileEvent string `json:",omitempty"`
}

// IsHeartbeat reports whether the frame carries nothing.
func (s *StreamFrame) IsHeartbeat() bool {
	return len(s.Data) == 0 && s.FileEvent == "" && s.File == "" && s.Offset == 0
}

// AllocFS reads files of allocations.
type AllocFS struct{ client *Client }

// AllocFS returns the allocation file endpoints.
func (c *Client) AllocFS() *AllocFS { return &AllocFS{client: c} }

// Logs streams a task's stdout or stderr (logType "stdout" or "stderr")
// from offset bytes relative to origin ("start" or "end"). With follow the
// stream stays open for new output until cancel is closed. Frames arrive on
// the first channel; the error channel yields at most one error, and both
// are closed when the stream ends.
func (a *AllocFS) Logs(alloc *Allocation, follow bool, task, logType, origin string,
	offset int64, cancel <-chan struct{}, q *QueryOptions) (<-chan *StreamFrame, <-chan error) {

	frames := make(chan *StreamFrame, 10)
	errCh := make(chan error, 1)
	if alloc == nil || alloc.ID == "" {
		errCh <- errors.New("allocation is required")
		close(frames)
		close(errCh)
		return frames, errCh
	}

	ctx, stop := context.WithCancel(context.Background())
	r := a.client.newRequest(http.MethodGet, "/v1/client/fs/logs/"+url.PathEscape(alloc.ID))
	r.ctx = ctx
	r.setQueryOptions(q)
	r.params.Set("task", task)
	r.params.Set("type", logType)
	r.params.Set("follow", strconv.FormatBool(follow))
	r.params.Set("origin", origin)
	r.params.Set("offset", strconv.FormatInt(offset, 10))

	go func() {
		select {
		case <-cancel:
		case <-ctx.Done():
		}
		stop()
	}()

	go func() {
		defer stop()
		defer close(errCh)
		defer close(frames)
		if err := a.streamFrames(ctx, r, frames); err != nil && ctx.Err() == nil {
			errCh <- err
		}
	}()
	return frames, errCh
}

func (a *AllocFS) streamFrames(ctx context.Context, r *request, frames chan<- *StreamFrame) error {
	resp, _, err := a.client.do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var f StreamFrame
		if err := dec.Decode(&f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("decode log frame: %w", err)
		}
		if f.IsHeartbeat() {
			continue
		}
		select {
		case frames <- &f:
		case <-ctx.Done():
			return nil
		}
	}
}
