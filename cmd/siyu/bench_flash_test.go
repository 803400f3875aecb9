package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"siyu.dev/pkg/auth"
	"siyu.dev/pkg/errs"
	marketingv1 "siyu.dev/proto/siyu/marketing/v1"
	orderv1 "siyu.dev/proto/siyu/order/v1"
)

// TestFlashSaleBench prints flash-sale reservation attempts per second
// through the gateway's REST route and straight over gRPC, with the stock,
// the attempts accepted and the oversell (accepted beyond the stock), for
// 64 concurrent callers hammering one activity for three seconds each. The
// gateway's flash-sale buckets are off, as for a load test from one
// machine. It measures, it does not judge: `make bench` runs it
// (SIYU_BENCH_FLASH=1); `make test` skips it.
func TestFlashSaleBench(t *testing.T) {
	if os.Getenv("SIYU_BENCH_FLASH") == "" {
		t.Skip("set SIYU_BENCH_FLASH=1 (make bench) to measure flash-sale reservations")
	}
	const callers, stock = 64, 50
	off := map[string]string{"SIYU_RATE_IP_RPS": "0", "SIYU_RATE_MEMBER_RPS": "0", "SIYU_RATE_FLASH_MEMBER_RPS": "0", "SIYU_RATE_FLASH_IP_RPS": "0"}
	shop := startShop(t, "", off)
	api := shop.api
	owner := shop.token(t, auth.Identity{Subject: "owner-fsb", Kind: auth.KindAdmin, Roles: []string{auth.RoleOwner}})
	api.expect(t, "POST", "/v1/admin/categories", owner, `{"category_id":"fsb-cat","category":{"name":"秒杀压测"}}`, 200)
	api.expect(t, "POST", "/v1/admin/products", owner, `{"product_id":"fsb-a","product":{"title":"秒杀压测","category_id":"fsb-cat","status":"PRODUCT_STATUS_ON_SALE","skus":[{"code":"A","price_fen":19900,"stock":1000}]}}`, 200)
	tokens := make([]string, callers)
	for i := range tokens {
		tokens[i] = api.login(t, fmt.Sprintf("1390010%04d", i)).access
	}
	now := time.Now().UTC()
	activity := func() string {
		fs := api.expect(t, "POST", "/v1/admin/flash-sales", owner, fmt.Sprintf(`{"name":"压测","product_id":"fsb-a","sku_id":"fsb-a-A","price_fen":9900,"stock":%d,"per_member_limit":1,"start_time":%q,"end_time":%q}`,
			stock, now.Add(-time.Minute).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339)), 200)
		return fs["id"].(string)
	}
	// run calls reserve from every caller for d and counts the answers.
	run := func(label string, reserve func(caller int) string) {
		var attempts, accepted, soldOut, limited, other atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for i := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < 3*time.Second {
					attempts.Add(1)
					switch reserve(i) {
					case "":
						accepted.Add(1)
					case "FLASH_SALE_SOLD_OUT":
						soldOut.Add(1)
					case "FLASH_SALE_LIMIT_REACHED":
						limited.Add(1)
					default:
						other.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		fmt.Printf("flash sale via %s: %d attempts by %d callers in %v: %.0f attempts/s; stock %d, accepted %d, oversell %d (sold out %d, over the member limit %d, other %d)\n",
			label, attempts.Load(), callers, elapsed.Round(time.Millisecond), float64(attempts.Load())/elapsed.Seconds(), stock, accepted.Load(),
			max(0, accepted.Load()-stock), soldOut.Load(), limited.Load(), other.Load())
		if accepted.Load() != stock || other.Load() != 0 {
			t.Errorf("%s: accepted %d of %d, %d other answers", label, accepted.Load(), stock, other.Load())
		}
	}

	restID := activity()
	// Each caller keeps one HTTP/1.1 connection and writes its request
	// ready-made, as a load generator such as wrk does, so the machine's
	// two cores go to the gateway and the services rather than to the
	// client.
	body := `{"address":` + shipTo + `}`
	conns := make([]*rawConn, callers)
	for i := range conns {
		c, err := dialRaw(shop.HTTPAddr, fmt.Sprintf("POST /v1/flash-sales/%s:reserve HTTP/1.1\r\nHost: siyu\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
			restID, tokens[i], len(body), body))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	run("REST", func(i int) string {
		status, b, err := conns[i].do()
		if err != nil {
			return err.Error()
		}
		if status == 200 {
			return ""
		}
		return reasonOf(string(b))
	})

	grpcID := activity()
	conn, err := grpc.NewClient(shop.ServiceAddrs["marketing"], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	flash := marketingv1.NewFlashSaleServiceClient(conn)
	addr := &orderv1.ShippingAddress{Name: "张三", Phone: "13800138000", Province: "上海市", Detail: "世纪大道 1 号"}
	ctxs := make([]context.Context, callers)
	for i := range ctxs {
		ctxs[i] = auth.OutgoingToken(context.Background(), tokens[i])
	}
	run("gRPC", func(i int) string {
		_, err := flash.ReserveFlashSale(ctxs[i], &marketingv1.ReserveFlashSaleRequest{FlashSaleId: grpcID, Address: addr})
		if err != nil {
			return errs.Reason(err)
		}
		return ""
	})
	for _, id := range []string{restID, grpcID} {
		got := api.expect(t, "GET", "/v1/flash-sales/"+id, "", "", 200)
		if fmt.Sprint(got["reserved"]) != fmt.Sprint(stock) {
			t.Errorf("%s holds %v units, stock %d", id, got["reserved"], stock)
		}
	}
}

// rawConn sends one prepared HTTP/1.1 request again and again on a
// keep-alive connection and reads each response by its Content-Length.
type rawConn struct {
	net.Conn
	r   *bufio.Reader
	req []byte
}

func dialRaw(addr, req string) (*rawConn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &rawConn{Conn: c, r: bufio.NewReaderSize(c, 8192), req: []byte(req)}, nil
}

func (c *rawConn) do() (int, []byte, error) {
	if _, err := c.Write(c.req); err != nil {
		return 0, nil, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 {
		return 0, nil, errors.New("short status line")
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, nil, err
	}
	length := -1
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, nil, err
		}
		if len(h) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(h), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if length < 0 {
		return 0, nil, errors.New("response without a Content-Length")
	}
	b := make([]byte, length)
	_, err = io.ReadFull(c.r, b)
	return status, b, err
}
