// Package grpcapi serves the order service's gRPC contract: it checks the
// caller, converts messages and maps faults to statuses, and nothing else.
package grpcapi

// Domain is the ErrorInfo domain of the order service's reasons.
const Domain = "order.siyu.dev"
