package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// maxBodySize bounds request bodies; the largest legitimate one is a job.
const maxBodySize = 16 << 20

// decodeBody decodes the JSON body of r into out. Its errors are 400s that
// say what is wrong and where, because the caller is usually a person
// looking at a hand-written JSON file.
func decodeBody(r *http.Request, out interface{}) error {
	_, err := readAndDecode(r, out)
	return err
}

// decodeBodyWarn is decodeBody for bodies a user writes by hand or exports
// from Nomad: it also returns the keys the decode ignored, as warnings
// (see unknownFields). out must be a pointer.
func decodeBodyWarn(r *http.Request, out interface{}) ([]string, error) {
	body, err := readAndDecode(r, out)
	if err != nil {
		return nil, err
	}
	return UnknownFields(body, out), nil
}

func readAndDecode(r *http.Request, out interface{}) ([]byte, error) {
	if r.Body == nil {
		return nil, badRequest("request body is empty: a JSON object is required")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodySize+1))
	if err != nil {
		return nil, badRequest("failed to read request body: %v", err)
	}
	if len(body) > maxBodySize {
		return nil, badRequest("request body is larger than %d bytes", maxBodySize)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("request body is empty: a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(out); err != nil {
		return nil, describeJSONError(err, len(body))
	}
	if dec.More() {
		return nil, badRequest("malformed JSON in request body: unexpected data after the object at byte offset %d", dec.InputOffset())
	}
	return body, nil
}

func describeJSONError(err error, size int) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return badRequest("malformed JSON in request body at byte offset %d: %v", syntaxErr.Offset, syntaxErr)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(root)"
		}
		return badRequest("invalid value for field %q at byte offset %d: got JSON %s, want %s",
			field, typeErr.Offset, typeErr.Value, typeErr.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON in request body: unexpected end of input at byte offset %d", size)
	}
	return badRequest("failed to decode request body: %v", err)
}
