package agent

import (
	"net/http"

	"github.com/orch-dev/orch/nomadlike/structs"
)

// registerServiceRoutes adds the service catalog's routes, in Nomad's
// paths and JSON shape.
func (s *HTTPServer) registerServiceRoutes() {
	for _, rt := range []struct {
		pattern, name string
		h             endpoint
	}{
		{"GET /v1/services", "services_list", s.servicesList},
		{"GET /v1/service/{name}", "service_get", s.serviceGet},
		{"DELETE /v1/service/{name}/{id}", "service_delete", s.serviceDelete},
	} {
		s.mux.Handle(rt.pattern, s.wrap(rt.name, rt.h))
	}
}

// servicesList answers GET /v1/services: [{Namespace, Services: [{ServiceName, Tags}]}].
func (s *HTTPServer) servicesList(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	var args structs.ServiceRegistrationListRequest
	var out structs.ServiceRegistrationListResponse
	if err := s.query(w, r, structs.ServiceRegistrationListRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Services), nil
}

// serviceGet answers GET /v1/service/:name with the service's instances;
// ?index= and ?wait= make it a blocking query.
func (s *HTTPServer) serviceGet(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	args := structs.ServiceRegistrationByNameRequest{ServiceName: r.PathValue("name")}
	var out structs.ServiceRegistrationByNameResponse
	if err := s.query(w, r, structs.ServiceRegistrationGetRPC, &args.QueryOptions, &args, &out, &out.QueryMeta); err != nil {
		return nil, err
	}
	return emptyIfNil(out.Services), nil
}

// serviceDelete answers DELETE /v1/service/:name/:id. The instance must
// belong to the named service, so a mistyped path deletes nothing.
func (s *HTTPServer) serviceDelete(w http.ResponseWriter, r *http.Request) (interface{}, error) {
	name, id := r.PathValue("name"), r.PathValue("id")
	get := structs.ServiceRegistrationByNameRequest{ServiceName: name}
	if err := s.parseQueryOptions(r, &get.QueryOptions); err != nil {
		return nil, err
	}
	var instances structs.ServiceRegistrationByNameResponse
	if err := s.rpc.RPC(structs.ServiceRegistrationGetRPC, &get, &instances); err != nil {
		return nil, err
	}
	found := false
	for _, inst := range instances.Services {
		found = found || inst.ID == id
	}
	if !found {
		return nil, notFound("service instance")
	}
	args := structs.ServiceRegistrationDeleteByIDRequest{ID: id, WriteRequest: s.writeRequest(r)}
	var out structs.GenericResponse
	if err := s.rpc.RPC(structs.ServiceRegistrationDeleteRPC, &args, &out); err != nil {
		return nil, err
	}
	setIndex(w, out.Index)
	return nil, nil
}
