package middleware

import (
	"net/http"
	"slices"

	"google.golang.org/grpc/codes"
)

// CORS lets the listed H5 and admin origins call the API from browsers. "*"
// allows any origin but never with credentials.
func CORS(origins []string) func(http.Handler) http.Handler {
	anyOrigin := slices.Contains(origins, "*")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			allowed := anyOrigin || slices.Contains(origins, origin)
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			w.Header().Add("Vary", "Origin")
			if !allowed {
				if preflight {
					Fail(w, http.StatusForbidden, codes.PermissionDenied, "ORIGIN_NOT_ALLOWED", "this origin may not call the API")
					return
				}
				next.ServeHTTP(w, r) // no CORS headers: the browser withholds the response
				return
			}
			if anyOrigin {
				w.Header().Set("Access-Control-Allow-Origin", "*")
			} else {
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
			}
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
			if preflight {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
