package mongostore_test

import (
	"context"
	"testing"

	"siyu.dev/pkg/testkit"
	"siyu.dev/services/messaging/internal/mongostore"
	"siyu.dev/services/messaging/internal/storetest"
)

func TestContractOnTheEmbeddedStore(t *testing.T) {
	s := mongostore.New(testkit.DB(t))
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, s)
}
