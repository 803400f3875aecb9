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
	Stream              = productv1.Stream
	SubjectCreated      = productv1.SubjectCreated
	SubjectUpdated      = productv1.SubjectUpdated
	SubjectPublished    = productv1.SubjectPublished
	SubjectStockChanged = productv1.SubjectStockChanged
	SubjectStockLow     = productv1.SubjectStockLow
)

// Subjects the stream holds.
var Subjects = []string{productv1.StreamSubjects}

// Created builds siyu.product.created.
func Created(ctx context.Context, e domain.Created) (natsx.Event, error) {
	return natsx.NewEvent(ctx, SubjectCreated, e.EventID, &productv1.ProductCreated{
		EventId: e.EventID, OccurredAt: timestamppb.New(e.At), ProductId: e.ProductID, Title: e.Title, CategoryId: e.Category,
		Product: ProductProto(e.Product),
	})
}

// Stock builds siyu.product.stock_changed and, when the change took the SKU
// below its threshold, siyu.product.stock_low.
func Stock(ctx context.Context, e domain.StockEvent) ([]natsx.Event, error) {
	l := e.Level
	changed, err := natsx.NewEvent(ctx, SubjectStockChanged, e.ChangedID, &productv1.StockChanged{
		EventId: e.ChangedID, OccurredAt: timestamppb.New(e.At), ProductId: l.ProductID, SkuId: l.SkuID,
		Available: l.Available, Reserved: l.Reserved, Sold: l.Sold, Cause: string(e.Cause), Ref: e.Ref,
	})
	if err != nil || !e.Low {
		return []natsx.Event{changed}, err
	}
	low, err := natsx.NewEvent(ctx, SubjectStockLow, e.LowID, &productv1.StockLow{
		EventId: e.LowID, OccurredAt: timestamppb.New(e.At), ProductId: l.ProductID, SkuId: l.SkuID, Available: l.Available, LowThreshold: l.LowThreshold,
	})
	return []natsx.Event{changed, low}, err
}
