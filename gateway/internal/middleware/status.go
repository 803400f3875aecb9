// Package middleware holds the gateway's HTTP layers: request ids, CORS,
// body limits, rate limits and token checks. Every error it writes is a
// google.rpc.Status JSON body, like the errors services return.
package middleware

import (
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"siyu.dev/pkg/errs"
)

// Domain is the ErrorInfo domain of errors raised at the edge.
const Domain = "gateway.siyu.dev"

// Marshaler is the JSON form the whole API speaks: field names as in the
// .proto files (snake_case), zero values included, unknown fields rejected.
var Marshaler = &runtime.JSONPb{
	MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}

// WriteError answers with err's status as JSON and the matching HTTP status.
func WriteError(w http.ResponseWriter, err error) {
	st := status.Convert(err)
	WriteStatus(w, runtime.HTTPStatusFromCode(st.Code()), st)
}

// WriteStatus writes st with an explicit HTTP status (413, 405 …).
func WriteStatus(w http.ResponseWriter, httpStatus int, st *status.Status) {
	b, err := Marshaler.Marshal(st.Proto())
	if err != nil {
		b = []byte(`{"code":13,"message":"internal error"}`)
		httpStatus = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(httpStatus)
	_, _ = w.Write(b)
}

// Fail builds and writes an edge error in one call.
func Fail(w http.ResponseWriter, httpStatus int, code codes.Code, reason, msg string) {
	WriteStatus(w, httpStatus, status.Convert(errs.New(code, Domain, reason, msg)))
}
