package proto

// Regenerate driver.pb.go and driver_grpc.pb.go after editing driver.proto:
//
//	go generate ./drivers/sdk/proto   (or `make proto`)
//
// It needs protoc (3.21+, Debian package protobuf-compiler) and, on PATH,
// protoc-gen-go v1.36.12 and protoc-gen-go-grpc v1.6.2:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
//
// The generated files are committed so that building orch needs neither.

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative driver.proto
