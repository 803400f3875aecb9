// Package seed loads the demo shop through the services' own gRPC APIs, so
// the demo data passes the same validation as an operator's input. Every
// entity has a fixed id: running it again creates only what is missing.
package seed

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	productv1 "siyu.dev/proto/siyu/product/v1"
)

// Counts says what a catalogue seeding did.
type Counts struct {
	Created, Existing int
}

// Catalog creates the demo categories and products. ctx must carry a token
// with an admin or service identity.
func Catalog(ctx context.Context, products productv1.ProductServiceClient) (Counts, error) {
	var c Counts
	for _, cat := range categories {
		_, err := products.CreateCategory(ctx, &productv1.CreateCategoryRequest{
			CategoryId: cat.id,
			Category:   &productv1.Category{ParentId: cat.parent, Name: cat.name, Sort: cat.sort},
		})
		if err := c.count(err); err != nil {
			return c, fmt.Errorf("seed category %s: %w", cat.id, err)
		}
	}
	for _, p := range demoProducts() {
		_, err := products.CreateProduct(ctx, p)
		if err := c.count(err); err != nil {
			return c, fmt.Errorf("seed product %s: %w", p.ProductId, err)
		}
	}
	return c, nil
}

// count treats ALREADY_EXISTS as success: that is what makes seeding idempotent.
func (c *Counts) count(err error) error {
	switch status.Code(err) {
	case codes.OK:
		c.Created++
		return nil
	case codes.AlreadyExists:
		c.Existing++
		return nil
	default:
		return err
	}
}

// ProductCount is how many products the demo catalogue holds.
func ProductCount() int { return len(demoProducts()) }
