package analytics_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcclient"
	"siyu.dev/pkg/healthcheck"
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/pkg/testkit"
	analyticsv1 "siyu.dev/proto/siyu/analytics/v1"
	"siyu.dev/services/analytics"
)

// TestTrackingOverGRPC runs the service on the embedded store: a visitor's
// batch is counted by day and type, a bad batch is refused with its field,
// and only staff read the counts.
func TestTrackingOverGRPC(t *testing.T) {
	priv, pub, _ := auth.GenerateKeyPEM()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- analytics.Run(ctx, analytics.Config{Common: lifecycle.Common{MongoURI: testkit.Store(t).URI(), JWTPublicKey: pub, Listener: lis, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Database: testkit.DBName(t)})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	for deadline := time.Now().Add(20 * time.Second); healthcheck.GRPC(lis.Addr().String(), time.Second) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never SERVING")
		}
	}
	conn, _ := grpcclient.Dial(lis.Addr().String())
	defer conn.Close()
	track, admin := analyticsv1.NewTrackingServiceClient(conn), analyticsv1.NewTrackingAdminServiceClient(conn)
	now := timestamppb.Now()
	resp, err := track.TrackEvents(ctx, &analyticsv1.TrackEventsRequest{DeviceId: "dev_abcdefgh", Events: []*analyticsv1.TrackedEvent{
		{Type: "page_view", Path: "/", OccurredAt: now}, {Type: "search", Query: "连衣裙", OccurredAt: now}, {Type: "page_view", Path: "/cart", OccurredAt: now}}})
	if err != nil || resp.GetAccepted() != 3 {
		t.Fatalf("track: %v %v", resp, err)
	}
	_, err = track.TrackEvents(ctx, &analyticsv1.TrackEventsRequest{DeviceId: "dev_abcdefgh", Events: []*analyticsv1.TrackedEvent{{Type: "click"}}})
	if status.Code(err) != codes.InvalidArgument || errs.Reason(err) != "EVENT_INVALID" {
		t.Errorf("unknown type: %v", err)
	}
	key, _ := auth.ParsePrivateKeyPEM(priv)
	issuer := auth.NewIssuer(key, "siyu", clock.System)
	as := func(id auth.Identity) context.Context {
		tok, _, _ := issuer.Issue(id, time.Hour)
		return auth.OutgoingToken(ctx, tok)
	}
	if _, err := admin.GetEventCounts(as(auth.Identity{Subject: "m1", Kind: auth.KindMember}), &analyticsv1.GetEventCountsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a member reads counts: %v", err)
	}
	counts, err := admin.GetEventCounts(as(auth.Identity{Subject: "cs", Kind: auth.KindAdmin, Roles: []string{auth.RoleCustomerService}}), &analyticsv1.GetEventCountsRequest{})
	if err != nil || counts.GetCounts()["page_view"] != 2 || counts.GetCounts()["search"] != 1 {
		t.Fatalf("counts %v %v", counts, err)
	}
}
