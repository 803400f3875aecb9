// Command marketing runs the marketing service; -healthcheck asks a running one whether it serves.
package main

import (
	"siyu.dev/pkg/lifecycle"
	"siyu.dev/services/marketing"
)

func main() { lifecycle.Main("marketing", marketing.Run) }
