// Command analytics runs the analytics service; -healthcheck asks a running one whether it serves.
package main

import (
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/analytics"
)

func main() { lifecycle.Main("analytics", analytics.Run) }
