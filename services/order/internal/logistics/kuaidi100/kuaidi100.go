// Package kuaidi100 traces parcels through Kuaidi100's real-time query API
// (poll/query.do): a form post of the query as JSON, signed with the
// upper-case MD5 of param + key + customer.
package kuaidi100

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"siyu.dev/services/order/internal/app"
)

// DefaultURL is Kuaidi100's real-time query endpoint.
const DefaultURL = "https://poll.kuaidi100.com/poll/query.do"

// Client asks Kuaidi100 where parcels are.
type Client struct {
	Customer, Key string
	// URL is the endpoint (DefaultURL when empty; tests point it at a fake).
	URL  string
	HTTP *http.Client
}

// New is a client with a 5-second timeout.
func New(customer, key, endpoint string) *Client {
	if endpoint == "" {
		endpoint = DefaultURL
	}
	return &Client{Customer: customer, Key: key, URL: endpoint, HTTP: &http.Client{Timeout: 5 * time.Second}}
}

type query struct {
	Com   string `json:"com"`
	Num   string `json:"num"`
	Phone string `json:"phone,omitempty"`
}

type answer struct {
	// Errors come as result false with a returnCode; traces as status "200".
	Result     *bool  `json:"result"`
	ReturnCode string `json:"returnCode"`
	Message    string `json:"message"`
	Status     string `json:"status"`
	State      string `json:"state"`
	Data       []struct {
		Time     string `json:"time"`
		Context  string `json:"context"`
		Location string `json:"location"`
	} `json:"data"`
}

// Sign is Kuaidi100's signature of a query.
func Sign(param, key, customer string) string {
	sum := md5.Sum([]byte(param + key + customer))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// states maps Kuaidi100's state codes to the service's.
var states = map[string]string{
	"0": app.TraceInTransit, "1": app.TraceInTransit, "5": app.TraceDelivering, "3": app.TraceSigned,
	"2": app.TraceProblem, "4": app.TraceProblem, "6": app.TraceProblem, "14": app.TraceProblem,
	"7": app.TraceInTransit, "8": app.TraceInTransit,
}

var cst = time.FixedZone("CST", 8*3600)

// Trace asks for one parcel. The phone's last four digits go along, which
// SF Express requires.
func (c *Client) Trace(ctx context.Context, q app.TraceQuery) (app.Trace, error) {
	qq := query{Com: q.Carrier, Num: q.TrackingNo}
	if len(q.Phone) >= 4 {
		qq.Phone = q.Phone[len(q.Phone)-4:]
	}
	param, err := json.Marshal(qq)
	if err != nil {
		return app.Trace{}, err
	}
	form := url.Values{"customer": {c.Customer}, "param": {string(param)}, "sign": {Sign(string(param), c.Key, c.Customer)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return app.Trace{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return app.Trace{}, fmt.Errorf("kuaidi100: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return app.Trace{}, fmt.Errorf("kuaidi100: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return app.Trace{}, fmt.Errorf("kuaidi100: HTTP %d", resp.StatusCode)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return app.Trace{}, fmt.Errorf("kuaidi100: %w", err)
	}
	if a.Result != nil && !*a.Result || a.Status != "200" {
		return app.Trace{}, fmt.Errorf("kuaidi100: %s %s", a.ReturnCode, a.Message)
	}
	t := app.Trace{State: states[a.State]}
	if t.State == "" {
		t.State = app.TraceUnknown
	}
	for _, d := range a.Data {
		at, _ := time.ParseInLocation("2006-01-02 15:04:05", d.Time, cst)
		t.Events = append(t.Events, app.TraceEvent{At: at, Location: d.Location, Text: d.Context})
	}
	return t, nil
}
