package grpcapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/errs"
	"siyu.dev/pkg/grpcserver"
	"siyu.dev/pkg/natsx"
	"siyu.dev/pkg/testkit"
	orderv1 "siyu.dev/proto/siyu/order/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/consumers"
	"siyu.dev/services/product/internal/grpcapi"
	"siyu.dev/services/product/internal/mongostore"
)

// revEnv serves the whole product service plus reviews and recommendations.
type revEnv struct {
	conn    *grpc.ClientConn
	catalog productv1.ProductServiceClient
	reviews productv1.ReviewServiceClient
	recs    productv1.RecommendationServiceClient
	rs      *mongostore.ReviewStore
	rev     *app.Reviews
	rec     *app.Recommender
	token   func(auth.Identity) context.Context
	service context.Context
}

func setupReviews(t testing.TB) *revEnv {
	t.Helper()
	privPEM, pubPEM, _ := auth.GenerateKeyPEM()
	priv, _ := auth.ParsePrivateKeyPEM(privPEM)
	pub, _ := auth.ParsePublicKeyPEM(pubPEM)
	db := testkit.DB(t)
	store := mongostore.New(db)
	svc, model := build(t, stores{catalog: store, inventory: store, lists: store})
	rs := mongostore.NewReviewStore(db)
	for range 2 { // a restart creates them again
		if err := rs.EnsureIndexes(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	rev := app.NewReviews(rs, model, clock.System)
	rec := app.NewRecommender(mongostore.NewRecStore(db), svc.Catalog, svc.Lists, clock.System)
	if err := rec.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc.Reviews, svc.Recommender = rev, rec
	srv := grpcserver.New(grpcserver.Options{Service: "product", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verifier: auth.NewVerifier(pub, "siyu", clock.System), Policy: grpcapi.Policy})
	grpcapi.Register(srv.GRPC(), svc)
	conn := testkit.BufconnServer(t, srv)
	iss := auth.NewIssuer(priv, "siyu", clock.System)
	tok := func(id auth.Identity) context.Context {
		s, _, _ := iss.Issue(id, time.Hour)
		return auth.OutgoingToken(context.Background(), s)
	}
	return &revEnv{conn: conn, catalog: productv1.NewProductServiceClient(conn), reviews: productv1.NewReviewServiceClient(conn),
		recs: productv1.NewRecommendationServiceClient(conn), rs: rs, rev: rev, rec: rec, token: tok,
		service: tok(auth.Identity{Subject: "seed", Kind: auth.KindService})}
}

func (e *revEnv) member(id string) context.Context {
	return e.token(auth.Identity{Subject: id, Kind: auth.KindMember})
}

func (e *revEnv) operator(roles ...string) context.Context {
	return e.token(auth.Identity{Subject: "admin:x", Kind: auth.KindAdmin, Roles: roles})
}

func (e *revEnv) category(t testing.TB, id string) {
	t.Helper()
	if _, err := e.catalog.CreateCategory(e.service, &productv1.CreateCategoryRequest{CategoryId: id, Category: &productv1.Category{Name: id}}); err != nil {
		t.Fatal(err)
	}
}

func (e *revEnv) product(t testing.TB, id, category string, stock int64, status productv1.ProductStatus) {
	t.Helper()
	_, err := e.catalog.CreateProduct(e.service, &productv1.CreateProductRequest{ProductId: id, Product: &productv1.Product{Title: "商品 " + id, CategoryId: category,
		Status: status, Skus: []*productv1.Sku{{Code: "S" + id, PriceFen: 1000, Stock: stock}}}})
	if err != nil {
		t.Fatal(err)
	}
}

// deliver hands an order event to a consumer handler as JetStream would.
func deliver(t testing.TB, h natsx.Handler, subject string, msg proto.Message) {
	t.Helper()
	data, _ := proto.Marshal(msg)
	if err := h(context.Background(), natsx.Message{Subject: subject, Data: data}); err != nil {
		t.Fatalf("%s: %v", subject, err)
	}
}

func (e *revEnv) complete(t testing.TB, member, order string, lines ...*orderv1.OrderLine) {
	t.Helper()
	ev := &orderv1.OrderCompleted{EventId: "ev-" + order, OccurredAt: timestamppb.Now(), OrderId: order, MemberId: member, Lines: lines}
	// Twice: a redelivered event must change nothing.
	deliver(t, consumers.ReviewHandler(e.rev), orderv1.SubjectCompleted, ev)
	deliver(t, consumers.ReviewHandler(e.rev), orderv1.SubjectCompleted, ev)
}

func line(id, product string) *orderv1.OrderLine {
	return &orderv1.OrderLine{LineId: id, ProductId: product, SkuId: product + "-S" + product, CategoryId: "dress", Quantity: 1}
}

func TestReviewsRulesAndModeration(t *testing.T) {
	e := setupReviews(t)
	e.category(t, "dress")
	e.product(t, "p-a", "dress", 5, productv1.ProductStatus_PRODUCT_STATUS_ON_SALE)
	e.product(t, "p-b", "dress", 5, productv1.ProductStatus_PRODUCT_STATUS_ON_SALE)
	alice, bob := e.member("m_alice"), e.member("m_bob")
	e.complete(t, "m_alice", "o-1", line("l-1", "p-a"), line("l-2", "p-b"))
	e.complete(t, "m_bob", "o-2", line("l-1", "p-a"))
	rv := e.reviews
	bg := context.Background()

	lines, err := rv.ListReviewableLines(alice, &productv1.ListReviewableLinesRequest{})
	if err != nil || len(lines.Lines) != 2 {
		t.Fatalf("alice's reviewable lines: %v %v", lines, err)
	}
	good := func(order, l string, rating int32) *productv1.CreateReviewRequest {
		return &productv1.CreateReviewRequest{OrderId: order, LineId: l, Rating: rating, Text: "面料很舒服"}
	}
	_, err = rv.CreateReview(bg, good("o-1", "l-1", 5))
	expect(t, "anonymous caller", err, codes.Unauthenticated, "TOKEN_MISSING")
	_, err = rv.CreateReview(e.operator(auth.RoleOwner), good("o-1", "l-1", 5))
	expect(t, "operator reviewing", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = rv.CreateReview(alice, &productv1.CreateReviewRequest{OrderId: "o-1", Rating: 5})
	expect(t, "no line", err, codes.InvalidArgument, "ORDER_LINE_REQUIRED")
	_, err = rv.CreateReview(alice, good("o-1", "l-1", 0))
	expect(t, "no stars", err, codes.InvalidArgument, "RATING_INVALID")
	_, err = rv.CreateReview(alice, good("o-1", "l-1", 6))
	expect(t, "six stars", err, codes.InvalidArgument, "RATING_INVALID")
	bad := good("o-1", "l-1", 5)
	bad.ImageUrls = []string{"javascript:alert(1)"}
	_, err = rv.CreateReview(alice, bad)
	expect(t, "script image", err, codes.InvalidArgument, "REVIEW_IMAGES_INVALID")
	_, err = rv.CreateReview(bob, good("o-1", "l-1", 5))
	expect(t, "bob reviews alice's line", err, codes.FailedPrecondition, "REVIEW_NOT_ELIGIBLE")
	_, err = rv.CreateReview(alice, good("o-9", "l-1", 5))
	expect(t, "line of no completed order", err, codes.FailedPrecondition, "REVIEW_NOT_ELIGIBLE")

	first := good("o-1", "l-1", 5)
	first.ImageUrls, first.Nickname = []string{"/static/demo/r1.svg", "https://img.example.com/r2.jpg"}, "小王"
	got, err := rv.CreateReview(alice, first)
	if err != nil || got.Review.ProductId != "p-a" || got.Review.SkuId != "p-a-Sp-a" || got.Review.MemberId != "m_alice" || got.Review.DisplayName != "小王" {
		t.Fatalf("create: %v %v", got, err)
	}
	_, err = rv.CreateReview(alice, first)
	expect(t, "second review of the line", err, codes.AlreadyExists, "REVIEW_ALREADY_EXISTS")
	anon := good("o-1", "l-2", 3)
	anon.Anonymous, anon.Nickname = true, "小王"
	if _, err := rv.CreateReview(alice, anon); err != nil {
		t.Fatal(err)
	}
	if _, err := rv.CreateReview(bob, good("o-2", "l-1", 4)); err != nil {
		t.Fatal(err)
	}
	if lines, _ := rv.ListReviewableLines(alice, &productv1.ListReviewableLinesRequest{}); len(lines.GetLines()) != 0 {
		t.Errorf("reviewed lines still reviewable: %v", lines)
	}

	// The event waits in the review's outbox for the relay.
	var doc struct {
		Outbox []struct {
			Subject string `bson:"subject"`
		} `bson:"outbox"`
	}
	if err := e.rs.ReviewColl.FindOne(bg, bson.M{"_id": got.Review.Id}).Decode(&doc); err != nil || len(doc.Outbox) != 1 || doc.Outbox[0].Subject != "siyu.product.reviewed" {
		t.Errorf("outbox: %+v %v", doc, err)
	}

	// Public listing: no member or order ids; anonymous shows the placeholder.
	list, err := rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a", PageSize: 1})
	if err != nil || list.TotalSize != 2 || len(list.Reviews) != 1 || list.NextPageToken == "" || list.Reviews[0].MemberId != "" || list.Reviews[0].OrderId != "" {
		t.Fatalf("page 1: %v %v", list, err)
	}
	next, err := rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a", PageSize: 1, PageToken: list.NextPageToken})
	if err != nil || len(next.Reviews) != 1 || next.NextPageToken != "" || next.Reviews[0].Id == list.Reviews[0].Id {
		t.Fatalf("page 2: %v %v", next, err)
	}
	_, err = rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a", PageSize: 1, PageToken: list.NextPageToken, Rating: 5})
	expect(t, "token of another filter", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	if imgs, _ := rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a", WithImagesOnly: true}); imgs.GetTotalSize() != 1 || len(imgs.Reviews[0].ImageUrls) != 2 {
		t.Errorf("with images: %v", imgs)
	}
	if four, _ := rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a", Rating: 4}); four.GetTotalSize() != 1 || four.Reviews[0].Rating != 4 {
		t.Errorf("4 stars: %v", four)
	}
	_, err = rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a", Rating: 7})
	expect(t, "rating filter 7", err, codes.InvalidArgument, "RATING_INVALID")
	_, err = rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{})
	expect(t, "no product", err, codes.InvalidArgument, "PRODUCT_ID_REQUIRED")
	_, err = rv.ListProductReviews(alice, &productv1.ListProductReviewsRequest{ProductId: "p-a", IncludeHidden: true})
	expect(t, "member asks for hidden reviews", err, codes.PermissionDenied, "ROLE_REQUIRED")
	if b, _ := rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-b"}); b.GetTotalSize() != 1 || b.Reviews[0].DisplayName != "匿名用户" || !b.Reviews[0].Anonymous {
		t.Errorf("anonymous review: %v", b)
	}
	summary := func(product string) *productv1.ReviewSummary {
		t.Helper()
		s, err := rv.GetReviewSummary(bg, &productv1.GetReviewSummaryRequest{ProductId: product})
		if err != nil {
			t.Fatal(err)
		}
		return s.Summary
	}
	if s := summary("p-a"); s.ReviewCount != 2 || s.AverageRatingX100 != 450 || fmt.Sprint(s.StarCounts) != "[0 0 0 1 1]" || s.WithImagesCount != 1 {
		t.Errorf("summary: %v", s)
	}
	if s := summary("p-none"); s.ReviewCount != 0 || s.AverageRatingX100 != 0 {
		t.Errorf("no reviews: %v", s)
	}
	// The product shows its rating at once: a review tells the read model.
	if p, err := e.catalog.GetProduct(bg, &productv1.GetProductRequest{Id: "p-a"}); err != nil || p.Product.RatingX100 != 450 || p.Product.ReviewCount != 2 {
		t.Errorf("product after its reviews: %v %v", p, err)
	}

	// Moderation: roles, idempotency, summary follows visibility.
	hide := &productv1.HideReviewRequest{ReviewId: got.Review.Id}
	_, err = rv.HideReview(alice, hide)
	expect(t, "member hides", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = rv.HideReview(e.service, hide)
	expect(t, "service token hides", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = rv.HideReview(e.operator(auth.RoleCustomerService), hide)
	expect(t, "customer service hides", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = rv.HideReview(e.operator(auth.RoleOperator), &productv1.HideReviewRequest{ReviewId: "rv-nope"})
	expect(t, "hide unknown", err, codes.NotFound, "REVIEW_NOT_FOUND")
	_, err = rv.HideReview(e.operator(auth.RoleOperator), &productv1.HideReviewRequest{})
	expect(t, "hide without id", err, codes.InvalidArgument, "REVIEW_ID_REQUIRED")
	for range 2 {
		h, err := rv.HideReview(e.operator(auth.RoleOperator), hide)
		if err != nil || !h.Review.Hidden {
			t.Fatalf("hide: %v %v", h, err)
		}
	}
	if s := summary("p-a"); s.ReviewCount != 1 || s.WithImagesCount != 0 || s.AverageRatingX100 != 400 {
		t.Errorf("summary after hiding twice: %v", s)
	}
	if l, _ := rv.ListProductReviews(bg, &productv1.ListProductReviewsRequest{ProductId: "p-a"}); l.GetTotalSize() != 1 {
		t.Errorf("hidden review listed: %v", l)
	}
	if l, _ := rv.ListProductReviews(e.operator(auth.RoleCustomerService), &productv1.ListProductReviewsRequest{ProductId: "p-a", IncludeHidden: true}); l.GetTotalSize() != 2 || l.Reviews[0].MemberId == "" {
		t.Errorf("operator listing with hidden: %v", l)
	}
	mine, err := rv.ListMyReviews(alice, &productv1.ListMyReviewsRequest{PageSize: 1})
	if err != nil || mine.TotalSize != 2 || mine.NextPageToken == "" {
		t.Fatalf("alice's reviews: %v %v", mine, err)
	}
	// Bob sees only his own and cannot continue Alice's listing.
	if b, _ := rv.ListMyReviews(bob, &productv1.ListMyReviewsRequest{}); b.GetTotalSize() != 1 || b.Reviews[0].MemberId != "m_bob" {
		t.Errorf("bob's reviews: %v", b)
	}
	_, err = rv.ListMyReviews(bob, &productv1.ListMyReviewsRequest{PageSize: 1, PageToken: mine.NextPageToken})
	expect(t, "bob with alice's token", err, codes.InvalidArgument, "PAGE_TOKEN_INVALID")
	if _, err := rv.UnhideReview(e.operator(auth.RoleOwner), &productv1.UnhideReviewRequest{ReviewId: got.Review.Id}); err != nil {
		t.Fatal(err)
	}
	if s := summary("p-a"); s.ReviewCount != 2 || s.WithImagesCount != 1 {
		t.Errorf("summary after unhiding: %v", s)
	}

	// Only the author edits, and only text and anonymity.
	_, err = rv.UpdateReview(bob, &productv1.UpdateReviewRequest{ReviewId: got.Review.Id, Text: "差评"})
	expect(t, "bob edits alice's review", err, codes.NotFound, "REVIEW_NOT_FOUND")
	_, err = rv.UpdateReview(e.operator(auth.RoleOwner), &productv1.UpdateReviewRequest{ReviewId: got.Review.Id, Text: "x"})
	expect(t, "operator edits", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = rv.UpdateReview(alice, &productv1.UpdateReviewRequest{ReviewId: got.Review.Id, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"rating"}}})
	expect(t, "edit the rating", err, codes.InvalidArgument, "UPDATE_MASK_INVALID")
	_, err = rv.UpdateReview(alice, &productv1.UpdateReviewRequest{Text: "x"})
	expect(t, "edit without id", err, codes.InvalidArgument, "REVIEW_ID_REQUIRED")
	_, err = rv.UpdateReview(alice, &productv1.UpdateReviewRequest{ReviewId: got.Review.Id, Text: strings.Repeat("长", 501)})
	expect(t, "edit too long", err, codes.InvalidArgument, "REVIEW_TEXT_INVALID")
	ed, err := rv.UpdateReview(alice, &productv1.UpdateReviewRequest{ReviewId: got.Review.Id, Text: "穿了一周，依然很好", Anonymous: true,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"text"}}})
	if err != nil || ed.Review.Text != "穿了一周，依然很好" || ed.Review.Anonymous || ed.Review.UpdateTime == nil || ed.Review.Rating != 5 {
		t.Fatalf("edit: %v %v", ed, err)
	}

	_, err = rv.ReplyReview(bob, &productv1.ReplyReviewRequest{ReviewId: got.Review.Id, Text: "hi"})
	expect(t, "member replies", err, codes.PermissionDenied, "ROLE_REQUIRED")
	_, err = rv.ReplyReview(e.operator(auth.RoleCustomerService), &productv1.ReplyReviewRequest{ReviewId: got.Review.Id, Text: "  "})
	expect(t, "empty reply", err, codes.InvalidArgument, "REPLY_INVALID")
	_, err = rv.ReplyReview(e.operator(auth.RoleCustomerService), &productv1.ReplyReviewRequest{ReviewId: "rv-nope", Text: "谢谢"})
	expect(t, "reply to unknown", err, codes.NotFound, "REVIEW_NOT_FOUND")
	r, err := rv.ReplyReview(e.operator(auth.RoleCustomerService), &productv1.ReplyReviewRequest{ReviewId: got.Review.Id, Text: "谢谢亲的支持"})
	if err != nil || r.Review.Reply != "谢谢亲的支持" || r.Review.ReplyTime == nil {
		t.Fatalf("reply: %v %v", r, err)
	}
}

// TestConcurrentReviewsKeepTheSummary: every member submits the same review
// twice at once; exactly one of each pair lands and the summary counts each
// review once, also across concurrent hides of one review.
func TestConcurrentReviewsKeepTheSummary(t *testing.T) {
	e := setupReviews(t)
	e.category(t, "dress")
	e.product(t, "p-a", "dress", 5, productv1.ProductStatus_PRODUCT_STATUS_ON_SALE)
	const n = 20
	for i := 0; i < n; i++ {
		e.complete(t, fmt.Sprintf("m_%02d", i), fmt.Sprintf("o-%02d", i), line("l-1", "p-a"))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[string]int{}
	for i := 0; i < n; i++ {
		for range 2 {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req := &productv1.CreateReviewRequest{OrderId: fmt.Sprintf("o-%02d", i), LineId: "l-1", Rating: int32(i%5 + 1)}
				if i%2 == 0 {
					req.ImageUrls = []string{"/img.png"}
				}
				_, err := e.reviews.CreateReview(e.member(fmt.Sprintf("m_%02d", i)), req)
				mu.Lock()
				outcomes[errs.Reason(err)]++
				mu.Unlock()
			}(i)
		}
	}
	wg.Wait()
	if outcomes[""] != n || outcomes["REVIEW_ALREADY_EXISTS"] != n {
		t.Fatalf("outcomes %v", outcomes)
	}
	s, _ := e.reviews.GetReviewSummary(context.Background(), &productv1.GetReviewSummaryRequest{ProductId: "p-a"})
	if s.Summary.ReviewCount != n || fmt.Sprint(s.Summary.StarCounts) != "[4 4 4 4 4]" || s.Summary.WithImagesCount != n/2 || s.Summary.AverageRatingX100 != 300 {
		t.Fatalf("summary %v", s.Summary)
	}
	mine, _ := e.reviews.ListMyReviews(e.member("m_00"), &productv1.ListMyReviewsRequest{})
	id := mine.Reviews[0].Id
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.reviews.HideReview(e.operator(auth.RoleOwner), &productv1.HideReviewRequest{ReviewId: id}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s, _ = e.reviews.GetReviewSummary(context.Background(), &productv1.GetReviewSummaryRequest{ProductId: "p-a"})
	if s.Summary.ReviewCount != n-1 || s.Summary.StarCounts[0] != 3 || s.Summary.WithImagesCount != n/2-1 {
		t.Fatalf("after concurrent hides %v", s.Summary)
	}
	// A rebuild from the reviews agrees with the running counts.
	if err := e.rs.RebuildSummaries(context.Background()); err != nil {
		t.Fatal(err)
	}
	s2, _ := e.reviews.GetReviewSummary(context.Background(), &productv1.GetReviewSummaryRequest{ProductId: "p-a"})
	if !proto.Equal(s.Summary, s2.Summary) {
		t.Errorf("rebuild %v, running %v", s2.Summary, s.Summary)
	}
}
