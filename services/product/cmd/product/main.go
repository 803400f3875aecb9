// Command product runs the product service; -healthcheck asks a running one whether it serves.
package main

import (
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/product"
)

func main() { lifecycle.Main("product", product.Run) }
