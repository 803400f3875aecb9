// Command messaging runs the messaging service; -healthcheck asks a running one whether it serves.
package main

import (
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/messaging"
)

func main() { lifecycle.Main("messaging", messaging.Run) }
