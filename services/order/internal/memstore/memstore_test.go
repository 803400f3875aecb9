package memstore_test

import (
	"testing"

	"siyu.dev/services/order/internal/memstore"
	"siyu.dev/services/order/internal/storetest"
)

func TestContract(t *testing.T) { storetest.Run(t, memstore.New()) }
