package main

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// -mode grpc sends the otlp mode's request over OTLP/gRPC (TraceService/Export). The
// request is the same pre-encoded protobuf, handed to gRPC as bytes by rawCodec, so the
// client spends no time encoding.

const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// rawCodec sends *[]byte as the message and keeps the answer's bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func dialGRPC(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("cannot reach OTLP/gRPC at %s: %w", addr, err)
	}
	return conn, nil
}

// exportGRPC sends body and returns the answer's bytes.
func exportGRPC(conn *grpc.ClientConn, key string, body []byte, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	var resp []byte
	err := conn.Invoke(ctx, exportMethod, &body, &resp, grpc.ForceCodec(rawCodec{}))
	return resp, err
}
