package grpcapi_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/auth"
	memberv1 "siyu.dev/proto/siyu/member/v1"
)

func TestMemberOverview(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	alice := e.login(t, "13800138001")
	id := alice.Member.Id
	if _, err := e.addrs.CreateMyAddress(bearer(ctx, alice.AccessToken), &memberv1.CreateMyAddressRequest{Address: newAddress("幸福路 1 号", true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.loyalty.Adjust(ctx, id, "welcome-1", 120, "welcome gift", "admin:owner"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.loyalty.AddTag(ctx, id, "vip"); err != nil {
		t.Fatal(err)
	}

	got, err := e.members.GetMemberOverview(e.adminToken(t, auth.RoleCustomerService), &memberv1.GetMemberOverviewRequest{MemberId: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.Member.GetId() != id || got.Member.GetPhone() != "138****8001" {
		t.Errorf("member = %v, want the masked phone for customer service", got.Member)
	}
	if got.Points.GetAvailablePoints() != 120 || got.Level.GetTier().GetId() == "" {
		t.Errorf("points %v level %v", got.Points, got.Level)
	}
	if len(got.Tags) != 1 || got.Tags[0].GetId() != "vip" {
		t.Errorf("tags = %v", got.Tags)
	}
	if len(got.Addresses) != 1 || got.Addresses[0].GetPhone() == newAddress("", true).GetPhone() {
		t.Errorf("addresses = %v, want one with a masked receiver phone", got.Addresses)
	}
	if len(got.Sessions) != 1 {
		t.Errorf("sessions = %v", got.Sessions)
	}

	owner, err := e.members.GetMemberOverview(e.adminToken(t, auth.RoleOwner), &memberv1.GetMemberOverviewRequest{MemberId: id})
	if err != nil || owner.Member.GetPhone() != "13800138001" || owner.Addresses[0].GetPhone() != newAddress("", true).GetPhone() {
		t.Errorf("owner sees full phones: %v %v", owner, err)
	}

	_, err = e.members.GetMemberOverview(bearer(ctx, alice.AccessToken), &memberv1.GetMemberOverviewRequest{MemberId: id})
	expect(t, "a member asking", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = e.members.GetMemberOverview(e.adminToken(t, auth.RoleOperator), &memberv1.GetMemberOverviewRequest{MemberId: "m_nobody"})
	expect(t, "unknown member", err, codes.NotFound, "MEMBER_NOT_FOUND")
	_, err = e.members.GetMemberOverview(e.adminToken(t, auth.RoleOperator), &memberv1.GetMemberOverviewRequest{})
	expect(t, "no id", err, codes.InvalidArgument, "MEMBER_ID_REQUIRED")
}
