// Package events turns the product domain's events into protobuf events on
// the PRODUCT stream.
package events

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"siyu.dev/pkg/natsx"
	productv1 "siyu.dev/proto/siyu/product/v1"
	"siyu.dev/services/product/internal/domain"
)

// Stream and subjects of the product service.
const (
	Stream         = "PRODUCT"
	SubjectCreated = "siyu.product.created"
)

// Subjects the stream holds.
var Subjects = []string{"siyu.product.>"}

// Created builds siyu.product.created.
func Created(ctx context.Context, e domain.Created) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectCreated, e.EventID, &productv1.ProductCreated{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), ProductId: e.ProductID, Title: e.Title, CategoryId: e.Category,
	})
}
