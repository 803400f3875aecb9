package middleware

import (
	"net/http"
	"net/url"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
)

// ValidUTF8 refuses requests whose path or query carries bytes that are not
// UTF-8 (`/v1/products/%ff`). Protobuf strings must be UTF-8, so such a value
// would otherwise fail only when the gateway marshals the call to a service,
// which grpc-go reports as an internal error; here it is the client's 400.
func ValidUTF8(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			Fail(w, http.StatusBadRequest, codes.InvalidArgument, "INVALID_UTF8", "the path is not valid UTF-8")
			return
		}
		if r.URL.RawQuery != "" {
			q, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				Fail(w, http.StatusBadRequest, codes.InvalidArgument, "QUERY_INVALID", "the query string is malformed")
				return
			}
			for k, vs := range q {
				ok := utf8.ValidString(k)
				for _, v := range vs {
					ok = ok && utf8.ValidString(v)
				}
				if !ok {
					Fail(w, http.StatusBadRequest, codes.InvalidArgument, "INVALID_UTF8", "query parameters must be valid UTF-8")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
