// Command order runs the order service; -healthcheck asks a running one whether it serves.
package main

import (
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/order"
)

func main() { lifecycle.Main("order", order.Run) }
