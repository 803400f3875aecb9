package main

import (
	"os"
	"strings"
	"testing"

	"siyu.dev/gateway"
	"siyu.dev/pkg/config"
	"siyu.dev/services/analytics"
	"siyu.dev/services/marketing"
	"siyu.dev/services/member"
	"siyu.dev/services/messaging"
	"siyu.dev/services/order"
	"siyu.dev/services/product"
)

// TestReadmeDocumentsEveryVariable keeps the README's configuration table in
// step with the Config structs: a variable a component reads but the README
// does not mention fails here.
func TestReadmeDocumentsEveryVariable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	configs := map[string]any{
		"member": &member.Config{}, "product": &product.Config{}, "order": &order.Config{},
		"marketing": &marketing.Config{}, "messaging": &messaging.Config{}, "analytics": &analytics.Config{},
		"gateway": &gateway.Config{},
	}
	for name, cfg := range configs {
		for _, v := range config.Describe(cfg) {
			if !strings.Contains(string(readme), "`"+v.Name+"`") && !documentedAsRange(string(readme), v.Name) {
				t.Errorf("README.md does not document %s (read by %s)", v.Name, name)
			}
		}
	}
}

// documentedAsRange accepts the README's "SIYU_MEMBER_ADDR … SIYU_ANALYTICS_ADDR"
// shorthand for the gateway's upstream addresses.
func documentedAsRange(readme, name string) bool {
	switch name {
	case "SIYU_PRODUCT_ADDR", "SIYU_ORDER_ADDR", "SIYU_MARKETING_ADDR", "SIYU_MESSAGING_ADDR":
		return strings.Contains(readme, "`SIYU_MEMBER_ADDR` … `SIYU_ANALYTICS_ADDR`")
	}
	return false
}
