package app

import (
	"context"

	"siyu.dev/pkg/clock"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/importfile"
	"siyu.dev/services/product/internal/readmodel"
)

// stores are what a test gives besides the catalogue; a nil one
// leaves its part out, as in production wiring without it.
type stores struct {
	Inventory    domain.InventoryRepository
	Lists        domain.ShopperRepository
	Sales        domain.SalesRepository
	Keywords     domain.KeywordRepository
	SearchEvents domain.SearchEvents
	Ratings      RatingSource
}

// kit is every use case over one read model, wired as product.Run wires
// them, for tests that cross groups (an operator's write, then a
// shopper's read).
type kit struct {
	repo      domain.Repository
	model     *readmodel.Model
	catalog   *Catalog
	products  *Products
	importer  *Importer
	inventory *Inventory
	lists     *ShopperLists
	keywords  *Keywords
	sales     *Sales
	loader    *Loader
}

func newKit(repo domain.Repository, p stores, clk clock.Clock) *kit {
	k := &kit{repo: repo, model: readmodel.New(clk.Now)}
	k.keywords = NewKeywords(k.model, p.Keywords, p.SearchEvents, clk)
	k.catalog = NewCatalog(k.model, k.keywords)
	k.products = NewProducts(k.model, repo, p.Inventory, clk)
	k.importer = NewImporter(k.products, k.model)
	if p.Inventory != nil {
		k.inventory = NewInventory(k.model, p.Inventory, clk)
	}
	if p.Lists != nil {
		k.lists = NewShopperLists(p.Lists, k.catalog, clk)
	}
	if p.Sales != nil {
		k.sales = NewSales(k.model, p.Sales)
	}
	k.loader = NewLoader(k.model, repo, k.inventory, k.sales, k.keywords, p.Ratings)
	return k
}

// importFile reads a file as the gRPC handler does and imports it.
func (k *kit) importFile(ctx context.Context, format, content string) (ImportReport, error) {
	f, err := importfile.Parse(format, content)
	if err != nil {
		return ImportReport{}, err
	}
	return k.importer.ImportProducts(ctx, f)
}
