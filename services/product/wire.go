package product

import (
	"siyu.dev/pkg/clock"
	"siyu.dev/services/product/internal/app"
	"siyu.dev/services/product/internal/domain"
	"siyu.dev/services/product/internal/grpcapi"
	"siyu.dev/services/product/internal/mongostore"
	"siyu.dev/services/product/internal/readmodel"
)

// useCases are the service's use cases over one read model: those the
// gRPC handlers call, and those only consumers and loops use.
type useCases struct {
	api    grpcapi.Services
	sales  *app.Sales
	sync   *app.CatalogSync
	loader *app.Loader
}

// wire builds every use case with the stores it needs. Each takes its
// dependencies here, once; nothing has to be set afterwards.
func wire(store *mongostore.Store, ext extras, searches domain.SearchEvents, clk clock.Clock) useCases {
	model := readmodel.New(clk.Now)
	keywords := app.NewKeywords(model, store, searches, clk)
	catalog := app.NewCatalog(model, keywords)
	products := app.NewProducts(model, store, store, clk)
	inventory := app.NewInventory(model, store, clk)
	lists := app.NewShopperLists(store, catalog, clk)
	sales := app.NewSales(model, store)
	return useCases{
		api: grpcapi.Services{
			Catalog:   catalog,
			Products:  products,
			Importer:  app.NewImporter(products, model),
			Keywords:  keywords,
			Inventory: inventory,
			Lists:     lists,
			// A review on this instance shows in the product's rating at once.
			Reviews: app.NewReviews(ext.reviews, model, clk),
			// A member's view is recorded in their browsing history too.
			Recommender: app.NewRecommender(ext.recs, catalog, lists, clk),
		},
		sales:  sales,
		sync:   app.NewCatalogSync(model, store, store),
		loader: app.NewLoader(model, store, inventory, sales, keywords, ext.reviews),
	}
}
