package middleware

import (
	"context"
	"errors"
	"io"
	"net/http"

	"google.golang.org/grpc/codes"
)

type tooLargeKey struct{}

// BodyLimit caps request bodies at max bytes. A declared length over the cap
// is refused at once; a body that grows past it while being decoded marks
// the request so the error handler answers 413 rather than a decode error.
func BodyLimit(max int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				Fail(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "BODY_TOO_LARGE", "request body is larger than the limit")
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				flag := new(bool)
				r = r.WithContext(context.WithValue(r.Context(), tooLargeKey{}, flag))
				r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), tooLarge: flag}
			}
			next.ServeHTTP(w, r)
		})
	}
}

type limitedBody struct {
	io.ReadCloser
	tooLarge *bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		*b.tooLarge = true
	}
	return n, err
}

// BodyTooLarge reports whether r's body overflowed the limit.
func BodyTooLarge(r *http.Request) bool {
	flag, _ := r.Context().Value(tooLargeKey{}).(*bool)
	return flag != nil && *flag
}
