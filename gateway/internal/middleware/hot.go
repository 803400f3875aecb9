package middleware

import (
	"net/http"

	"siyu.dev/pkg/auth"
)

// Hot limits routes bots go for (flash-sale reservations) more tightly than
// the rest: per signed-in member and per client network, on top of the
// general limits. hot says which requests it covers; it runs after Auth,
// which put the caller's identity in the context.
func Hot(hot func(r *http.Request) bool, perMember, perIP *Limiter, trustProxy bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if hot(r) {
				if id, ok := auth.FromContext(r.Context()); ok && id.Kind == auth.KindMember {
					if ok, wait := perMember.Allow(id.Subject); !ok {
						Reject(w, wait)
						return
					}
				}
				if ok, wait := perIP.Allow(ClientIP(r, trustProxy)); !ok {
					Reject(w, wait)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}
