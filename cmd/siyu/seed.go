package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"siyu.dev/cmd/siyu/internal/seed"
	"siyu.dev/cmd/siyu/internal/suite"
	"siyu.dev/gateway"
	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/clock"
	"siyu.dev/pkg/config"
	"siyu.dev/pkg/grpcclient"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/member"
)

const (
	adminUser = "admin"
	demoPhone = "13800138000"
)

type seedResult struct {
	catalog       seed.Counts
	promotions    seed.Counts
	adminUser     string
	adminPassword string
	adminCreated  bool
}

// seedSuite loads the demo shop into a suite this process started.
func seedSuite(ctx context.Context, s *suite.Suite) (seedResult, error) {
	return seedAll(ctx, s.ServiceAddrs["product"], s.ServiceAddrs["marketing"], s.Lookup)
}

// seedCmd loads the demo shop into running services (docker compose's seed
// step). It reads the same variables as the services: SIYU_PRODUCT_ADDR,
// SIYU_JWT_PRIVATE_KEY, and the member service's MONGO_URI for the admin.
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	productAddr := fs.String("product-addr", serviceAddr("product"), "product service gRPC address")
	marketingAddr := fs.String("marketing-addr", serviceAddr("marketing"), "marketing service gRPC address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := seedAll(ctx, *productAddr, *marketingAddr, config.EnvLookup)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo catalogue: %d created, %d already there\n", res.catalog.Created, res.catalog.Existing)
	fmt.Fprintf(stdout, "demo promotions: %d created, %d already there\n", res.promotions.Created, res.promotions.Existing)
	if res.adminCreated {
		fmt.Fprintf(stdout, "admin account: username %q password %q (printed only this once)\n", res.adminUser, res.adminPassword)
	} else {
		fmt.Fprintf(stdout, "admin account %q already exists\n", res.adminUser)
	}
	return nil
}

// serviceAddr is a service's address from its variable, else its default
// (gateway.Services, the one table of services).
func serviceAddr(name string) string {
	svc, _ := gateway.ServiceNamed(name)
	return envOr(svc.AddrVar(), svc.DefaultAddr())
}

func seedAll(ctx context.Context, productAddr, marketingAddr string, lookup config.Lookup) (seedResult, error) {
	res := seedResult{adminUser: adminUser}
	var mc member.Config
	if err := config.LoadLookup(&mc, lookup); err != nil {
		return res, fmt.Errorf("seed: member config: %w", err)
	}
	pw, created, err := member.EnsureAdmin(ctx, mc, adminUser, []string{auth.RoleOwner})
	if err != nil {
		return res, fmt.Errorf("seed: admin account: %w", err)
	}
	res.adminPassword, res.adminCreated = pw, created
	if err := member.EnsureMember(ctx, mc, demoPhone); err != nil {
		return res, fmt.Errorf("seed: demo member: %w", err)
	}

	privPEM, _ := lookup("SIYU_JWT_PRIVATE_KEY")
	priv, err := auth.ParsePrivateKeyPEM(privPEM)
	if err != nil {
		return res, fmt.Errorf("seed: SIYU_JWT_PRIVATE_KEY: %w", err)
	}
	token, _, err := auth.NewIssuer(priv, "siyu", clock.System).Issue(auth.Identity{Subject: "siyu-seed", Kind: auth.KindService}, 10*time.Minute)
	if err != nil {
		return res, err
	}
	conn, err := grpcclient.Dial(productAddr)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	products := productv1.NewProductServiceClient(conn)
	sctx := auth.OutgoingToken(ctx, token)
	if res.catalog, err = seed.Catalog(sctx, products); err != nil {
		return res, err
	}
	mconn, err := grpcclient.Dial(marketingAddr)
	if err != nil {
		return res, err
	}
	defer mconn.Close()
	res.promotions, err = seed.Promotions(sctx, seed.Marketing{Coupons: marketingv1.NewCouponAdminServiceClient(mconn),
		Discounts: marketingv1.NewDiscountAdminServiceClient(mconn), FlashSales: marketingv1.NewFlashSaleAdminServiceClient(mconn),
		GroupBuys: marketingv1.NewGroupBuyAdminServiceClient(mconn), Bargains: marketingv1.NewBargainAdminServiceClient(mconn)}, products, time.Now())
	return res, err
}
