package grpcapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	"siyu.dev/pkg/auth"
	productv1 "siyu.dev/proto/siyu/product/v1"
)

func TestMemberListsAreTheirOwn(t *testing.T) {
	e := setup(t)
	e.seed(t, 5)
	sh := productv1.NewShopperServiceClient(e.conn)
	bob := e.memberToken(t, "m_2")
	alice := e.member // subject m_1

	_, err := sh.ListFavourites(context.Background(), &productv1.ListFavouritesRequest{})
	expect(t, "anonymous", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = sh.ListFavourites(e.admin, &productv1.ListFavouritesRequest{})
	expect(t, "operator", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = sh.AddFavourite(alice, &productv1.AddFavouriteRequest{ProductId: "p-999"})
	expect(t, "unknown product", err, codes.NotFound, "PRODUCT_NOT_FOUND")
	_, err = sh.AddFavourite(alice, &productv1.AddFavouriteRequest{})
	expect(t, "no product", err, codes.InvalidArgument, "PRODUCT_ID_REQUIRED")
	_, err = sh.RecordProductView(alice, &productv1.RecordProductViewRequest{ProductId: "p-999"})
	expect(t, "view of unknown product", err, codes.NotFound, "PRODUCT_NOT_FOUND")

	for i := 0; i < 3; i++ {
		got, err := sh.AddFavourite(alice, &productv1.AddFavouriteRequest{ProductId: fmt.Sprintf("p-%03d", i)})
		if err != nil || got.Favourite.Product.GetId() != fmt.Sprintf("p-%03d", i) {
			t.Fatalf("add: %v %v", got, err)
		}
	}
	if _, err := sh.AddFavourite(alice, &productv1.AddFavouriteRequest{ProductId: "p-001"}); err != nil {
		t.Fatalf("adding again: %v", err)
	}
	page, err := sh.ListFavourites(alice, &productv1.ListFavouritesRequest{PageSize: 2})
	if err != nil || page.TotalSize != 3 || len(page.Favourites) != 2 || page.Favourites[0].ProductId != "p-002" || page.NextPageToken == "" {
		t.Fatalf("alice page 1: %v %v", page, err)
	}
	// Bob sees none of it, cannot page with Alice's token, cannot remove hers.
	theirs, err := sh.ListFavourites(bob, &productv1.ListFavouritesRequest{})
	if err != nil || theirs.TotalSize != 0 {
		t.Fatalf("bob sees alice's favourites: %v %v", theirs, err)
	}
	_, err = sh.ListFavourites(bob, &productv1.ListFavouritesRequest{PageSize: 2, PageToken: page.NextPageToken})
	expect(t, "bob with alice's page token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	_, err = sh.RemoveFavourite(bob, &productv1.RemoveFavouriteRequest{ProductId: "p-000"})
	expect(t, "bob removes alice's favourite", err, codes.NotFound, "FAVOURITE_NOT_FOUND")
	page2, err := sh.ListFavourites(alice, &productv1.ListFavouritesRequest{PageSize: 2, PageToken: page.NextPageToken})
	if err != nil || len(page2.Favourites) != 1 || page2.Favourites[0].ProductId != "p-000" || page2.NextPageToken != "" {
		t.Fatalf("alice page 2: %v %v", page2, err)
	}
	if _, err := sh.RemoveFavourite(alice, &productv1.RemoveFavouriteRequest{ProductId: "p-000"}); err != nil {
		t.Fatal(err)
	}
	_, err = sh.RemoveFavourite(alice, &productv1.RemoveFavouriteRequest{ProductId: "p-000"})
	expect(t, "remove twice", err, codes.NotFound, "FAVOURITE_NOT_FOUND")

	for _, id := range []string{"p-000", "p-001", "p-000", "p-003"} {
		if _, err := sh.RecordProductView(alice, &productv1.RecordProductViewRequest{ProductId: id}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := sh.ListBrowsingHistory(alice, &productv1.ListBrowsingHistoryRequest{})
	if err != nil || h.TotalSize != 3 || h.Views[0].ProductId != "p-003" || h.Views[1].ProductId != "p-000" {
		t.Fatalf("history: %v %v", h, err)
	}
	if h, _ := sh.ListBrowsingHistory(bob, &productv1.ListBrowsingHistoryRequest{}); h.TotalSize != 0 {
		t.Errorf("bob sees alice's history: %v", h)
	}
	if _, err := sh.ClearBrowsingHistory(bob, &productv1.ClearBrowsingHistoryRequest{}); err != nil {
		t.Fatal(err)
	}
	if h, _ := sh.ListBrowsingHistory(alice, &productv1.ListBrowsingHistoryRequest{}); h.TotalSize != 3 {
		t.Errorf("bob's clear touched alice's history: %v", h)
	}
	if _, err := sh.ClearBrowsingHistory(alice, &productv1.ClearBrowsingHistoryRequest{}); err != nil {
		t.Fatal(err)
	}
	if h, _ := sh.ListBrowsingHistory(alice, &productv1.ListBrowsingHistoryRequest{}); h.TotalSize != 0 {
		t.Errorf("cleared history: %v", h)
	}
}

func (e *env) memberToken(t *testing.T, subject string) context.Context {
	t.Helper()
	return e.tokenFor(auth.Identity{Subject: subject, Kind: auth.KindMember})
}

func TestConcurrentFavouritesLoseNothing(t *testing.T) {
	e := setup(t)
	e.seed(t, 30)
	sh := productv1.NewShopperServiceClient(e.conn)
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sh.AddFavourite(e.member, &productv1.AddFavouriteRequest{ProductId: fmt.Sprintf("p-%03d", i)}); err != nil {
				t.Errorf("add %d: %v", i, err)
			}
			if _, err := sh.RecordProductView(e.member, &productv1.RecordProductViewRequest{ProductId: fmt.Sprintf("p-%03d", i%7)}); err != nil {
				t.Errorf("view %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	favs, _ := sh.ListFavourites(e.member, &productv1.ListFavouritesRequest{PageSize: 100})
	hist, _ := sh.ListBrowsingHistory(e.member, &productv1.ListBrowsingHistoryRequest{PageSize: 100})
	if favs.GetTotalSize() != 30 || hist.GetTotalSize() != 7 {
		t.Errorf("favourites %d (want 30), history %d (want 7)", favs.GetTotalSize(), hist.GetTotalSize())
	}
}
