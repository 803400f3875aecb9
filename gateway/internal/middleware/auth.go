package middleware

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/auth"
)

// Sessions tells whether a verified token's session still stands (a token
// outlives a logout or a block until it expires); nil means it does, an
// error is the gRPC status to answer with.
type Sessions interface {
	Check(ctx context.Context, token string, id auth.Identity) error
}

// Auth verifies a bearer token before any service sees the request: a
// forged, malformed or expired one is 401 here, and so is one whose session
// ended when sessions is set. Requests without a token go on; each service
// decides whether its method needs one. Signed-in members also get their
// own rate limit.
func Auth(v *auth.Verifier, perMember *Limiter, sessions Sessions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
				Fail(w, http.StatusUnauthorized, codes.Unauthenticated, "TOKEN_INVALID", "Authorization must be \"Bearer <access token>\"")
				return
			}
			id, err := v.Verify(strings.TrimSpace(token))
			if err != nil {
				if errors.Is(err, auth.ErrTokenExpired) {
					Fail(w, http.StatusUnauthorized, codes.Unauthenticated, "TOKEN_EXPIRED", "access token expired: refresh it")
					return
				}
				Fail(w, http.StatusUnauthorized, codes.Unauthenticated, "TOKEN_INVALID", "access token is not valid")
				return
			}
			if id.Kind == auth.KindMember {
				if ok, wait := perMember.Allow(id.Subject); !ok {
					Reject(w, wait)
					return
				}
			}
			if sessions != nil {
				if err := sessions.Check(r.Context(), strings.TrimSpace(token), id); err != nil {
					WriteError(w, err)
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(auth.WithIdentity(r.Context(), id)))
		})
	}
}
