package auth

import (
	"context"
	"errors"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"siyu.dev/pkg/errs"
)

const domain = "auth.siyu.dev"

// Rule is what a method demands of its caller.
type Rule int

const (
	// Public methods need no token (a valid one still sets the identity).
	Public Rule = iota
	// AnyCaller needs any valid token.
	AnyCaller
	// MemberOnly needs a member token.
	MemberOnly
	// Staff needs an operator of any role (owner, operator, customer
	// service) or a service token: reading the back office, caring for
	// customers (replying to reviews, looking up a member or an order).
	Staff
	// Operators needs an owner or an operator, or a service token: changing
	// what the shop sells or owes (catalog, stock, points, orders, rules).
	Operators
	// OwnerOnly needs an owner, or a service token: who may operate the shop.
	OwnerOnly
	// ServiceOnly needs a service token: calls one service makes of another
	// (checkout reading a member's standing, saga steps). No shopper or
	// operator token passes, so such methods are never reachable from REST.
	ServiceOnly
)

// Roles are the operator roles a back-office rule admits: the one role
// matrix of the shop. (Service tokens pass every back-office rule; a handler
// that needs a person behind a write checks for an operator itself.)
func (r Rule) Roles() []string {
	switch r {
	case Staff:
		return []string{RoleOwner, RoleOperator, RoleCustomerService}
	case Operators:
		return []string{RoleOwner, RoleOperator}
	case OwnerOnly:
		return []string{RoleOwner}
	}
	return nil
}

// Policy maps full method names ("/siyu.member.v1.AuthService/SmsLogin") to
// rules. Methods missing from it are denied: forgetting a rule fails closed.
type Policy map[string]Rule

// Merge joins the policies of a service's parts into the one its server
// enforces, so each part keeps its rules beside its handlers.
func Merge(parts ...Policy) Policy {
	out := Policy{}
	for _, p := range parts {
		for method, rule := range p {
			out[method] = rule
		}
	}
	return out
}

// alwaysPublic are infrastructure services every process exposes.
func alwaysPublic(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.") || strings.HasPrefix(method, "/grpc.reflection.")
}

// Authorize applies the policy to the token in ctx's incoming metadata and
// returns ctx with the caller's identity.
func Authorize(ctx context.Context, v *Verifier, p Policy, method string) (context.Context, error) {
	rule, known := p[method]
	if alwaysPublic(method) {
		rule, known = Public, true
	}
	if !known {
		return ctx, errs.New(codes.PermissionDenied, domain, "METHOD_NOT_ALLOWED", "method has no access rule")
	}
	token := bearer(ctx)
	if token == "" {
		if rule == Public {
			return ctx, nil
		}
		return ctx, errs.New(codes.Unauthenticated, domain, "TOKEN_MISSING", "sign in first: no bearer token")
	}
	id, err := v.Verify(token)
	if err != nil {
		if errors.Is(err, ErrTokenExpired) {
			return ctx, errs.New(codes.Unauthenticated, domain, "TOKEN_EXPIRED", "access token expired: refresh it")
		}
		return ctx, errs.New(codes.Unauthenticated, domain, "TOKEN_INVALID", "access token is not valid")
	}
	ctx = WithIdentity(ctx, id)
	switch rule {
	case MemberOnly:
		if id.Kind != KindMember {
			return ctx, errs.New(codes.PermissionDenied, domain, "ROLE_REQUIRED", "only members may call this", "required", string(KindMember))
		}
	case Staff, Operators, OwnerOnly:
		roles := rule.Roles()
		if id.Kind != KindService && (id.Kind != KindAdmin || !slices.ContainsFunc(roles, id.HasRole)) {
			return ctx, errs.New(codes.PermissionDenied, domain, "ROLE_REQUIRED", "this needs one of the roles "+strings.Join(roles, ", "), "required", strings.Join(roles, ","))
		}
	case ServiceOnly:
		if id.Kind != KindService {
			return ctx, errs.New(codes.PermissionDenied, domain, "ROLE_REQUIRED", "only services may call this", "required", string(KindService))
		}
	}
	return ctx, nil
}

func bearer(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return strings.TrimSpace(v[7:])
		}
	}
	return ""
}

// UnaryServerInterceptor enforces p on unary calls.
func UnaryServerInterceptor(v *Verifier, p Policy) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		ctx, err := Authorize(ctx, v, p, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// StreamServerInterceptor enforces p on streaming calls.
func StreamServerInterceptor(v *Verifier, p Policy) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		ctx, err := Authorize(ss.Context(), v, p, info.FullMethod)
		if err != nil {
			return err
		}
		return h(srv, &identityStream{ServerStream: ss, ctx: ctx})
	}
}

type identityStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *identityStream) Context() context.Context { return s.ctx }

// OutgoingToken attaches token to calls made with the returned context.
func OutgoingToken(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// ClientIPKey is the metadata key under which the gateway passes the
// shopper's IP address (as it decided it, proxies considered) to services,
// for per-IP limits. Clients cannot set it: the gateway forwards only the
// headers it names and writes this one itself.
const ClientIPKey = "x-client-ip"

// ClientIP is the caller's IP address as the gateway saw it, or "" for
// calls that did not come through the gateway.
func ClientIP(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get(ClientIPKey); len(v) > 0 {
		return v[0]
	}
	return ""
}
