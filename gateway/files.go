package gateway

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	orderv1 "siyu.dev/proto/siyu/order/v1"
)

// fileMarshaler answers responses that are files (the order export's CSV)
// with the file itself, so a browser or curl saves it as it is; everything
// else goes to the API's JSON marshaler.
type fileMarshaler struct{ runtime.Marshaler }

func (m fileMarshaler) ContentType(v any) string {
	if _, ok := v.(*orderv1.ExportOrdersResponse); ok {
		return "text/csv; charset=utf-8"
	}
	return m.Marshaler.ContentType(v)
}

func (m fileMarshaler) Marshal(v any) ([]byte, error) {
	if f, ok := v.(*orderv1.ExportOrdersResponse); ok {
		return []byte(f.GetCsv()), nil
	}
	return m.Marshaler.Marshal(v)
}

// fileHeaders names the saved file and says whether it holds everything.
func fileHeaders(_ context.Context, w http.ResponseWriter, m proto.Message) error {
	if f, ok := m.(*orderv1.ExportOrdersResponse); ok {
		w.Header().Set("Content-Disposition", `attachment; filename="orders.csv"`)
		if f.GetTruncated() {
			w.Header().Set("X-Siyu-Truncated", "true")
		}
	}
	return nil
}
