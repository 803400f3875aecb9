package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"siyu.dev/cmd/siyu/internal/suite"
	"siyu.dev/gateway"
	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
)

// TestRoleMatrix calls every back-office and service-only RPC of every
// service with a member's token and with each operator role, on the running
// suite, and asserts that exactly the roles the method's rule names get
// past authorization (the handler may still refuse the empty request, but
// never for the caller's role).
func TestRoleMatrix(t *testing.T) {
	shop := startShop(t, "")
	callers := map[string]string{
		"member": shop.token(t, auth.Identity{Subject: "m-matrix", Kind: auth.KindMember}),
	}
	roles := []string{auth.RoleOwner, auth.RoleOperator, auth.RoleCustomerService}
	for _, r := range roles {
		callers[r] = shop.token(t, auth.Identity{Subject: "op-" + r, Kind: auth.KindAdmin, Roles: []string{r}})
	}
	policies := map[string]auth.Policy{}
	for _, svc := range gateway.Services {
		policies[svc.Name] = suite.Policy(svc.Name)
	}
	checked := 0
	for svc, policy := range policies {
		conn, err := grpc.NewClient(shop.ServiceAddrs[svc], grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for method, rule := range policy {
			var allowed []string
			switch rule {
			case auth.Public, auth.AnyCaller, auth.MemberOnly:
				continue
			case auth.Staff, auth.Operators, auth.OwnerOnly:
				allowed = rule.Roles()
			case auth.ServiceOnly:
			default:
				t.Errorf("%s: rule %d is not in the matrix", method, rule)
				continue
			}
			checked++
			for who, token := range callers {
				err := call(auth.OutgoingToken(context.Background(), token), conn, method, strings.Contains(method, "Stream"))
				refused := status.Code(err) == codes.PermissionDenied && errs.Reason(err) == "ROLE_REQUIRED"
				if want := slices.Contains(allowed, who); refused == want {
					t.Errorf("%s as %s: %v (reason %q); allowed roles %v", method, who, status.Code(err), errs.Reason(err), allowed)
				}
			}
		}
	}
	// The calls a customer-service operator could make before the matrix:
	// points and stock now move only for owners and operators (and the saga's
	// points and stock steps only for services).
	for _, m := range []struct{ svc, method string }{
		{"member", "/siyu.member.v1.PointsService/SpendPoints"},
		{"member", "/siyu.member.v1.PointsService/FreezePoints"},
		{"member", "/siyu.member.v1.PointsService/ReleasePoints"},
		{"member", "/siyu.member.v1.PointsService/AdjustPoints"},
		{"member", "/siyu.member.v1.MemberService/BlockMember"},
		{"product", "/siyu.product.v1.InventoryService/AdjustStock"},
		{"product", "/siyu.product.v1.InventoryService/ReserveStock"},
	} {
		if slices.Contains(policies[m.svc][m.method].Roles(), auth.RoleCustomerService) || policies[m.svc][m.method] == auth.Public {
			t.Errorf("%s is open to customer service", m.method)
		}
	}
	if checked < 60 {
		t.Errorf("only %d back-office and service-only methods checked", checked)
	}
	t.Logf("%d methods × %d callers", checked, len(callers))
}
