package memstore_test

import (
	"testing"

	"siyu.dev/services/messaging/internal/memstore"
	"siyu.dev/services/messaging/internal/storetest"
)

func TestContract(t *testing.T) { storetest.Run(t, memstore.New()) }
