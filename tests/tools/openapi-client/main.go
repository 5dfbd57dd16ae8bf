// openapi-client - calls a running unikd through its OpenAPI description
// (api/openapi.yaml), with kin-openapi (Debian's golang-github-getkin-kin-openapi-dev):
// the description is loaded and validated, every request is routed by it
// (server, path, method) and checked against its operation before it is
// sent, and every answer is checked against the operation's responses:
// a status the operation does not list, a body that does not match its
// schema or a content type it does not name is a failure.
//
// Usage: openapi-client SPEC SOCKET [IMAGE]
// Prints TAP-like lines "ok N - ..." / "not ok N - ..."; exit 1 on a failure.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The server the requests name: the description's {scheme}://{address}
// (http, its default address); they travel over the unix socket.
const base = "http://127.0.0.1:8443"

type call struct {
	what, method, path, ctype, body string
	status                          int
}

var (
	n      int
	failed bool
)

func result(ok bool, format string, a ...interface{}) {
	n++
	if ok {
		fmt.Printf("ok %d - %s\n", n, fmt.Sprintf(format, a...))
	} else {
		failed = true
		fmt.Printf("not ok %d - %s\n", n, fmt.Sprintf(format, a...))
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: openapi-client SPEC SOCKET [IMAGE]")
		os.Exit(2)
	}
	ctx := context.Background()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(os.Args[1])
	result(err == nil, "the description loads: %v", err)
	if err != nil {
		os.Exit(1)
	}
	err = doc.Validate(ctx)
	result(err == nil, "and is valid OpenAPI 3: %v", err)
	router, err := legacy.NewRouter(doc)
	result(err == nil, "a router is made from it: %v", err)
	if err != nil {
		os.Exit(1)
	}
	sock := os.Args[2]
	client := &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}},
	}
	calls := []call{
		{"version", "GET", "/v1/version", "", "", 200},
		{"health", "GET", "/v1/health", "", "", 200},
		{"compilers", "GET", "/v1/compilers", "", "", 200},
		{"providers", "GET", "/v1/providers", "", "", 200},
		{"images", "GET", "/v1/images", "", "", 200},
		{"instances", "GET", "/v1/instances?all=1", "", "", 200},
		{"volumes", "GET", "/v1/volumes", "", "", 200},
		{"an unknown image", "GET", "/v1/images/no-such-image", "", "", 404},
		{"an unknown instance", "GET", "/v1/instances/no-such-instance", "", "", 404},
		{"a volume is made", "POST", "/v1/volumes?name=oapi-vol&size=4194304", "", "", 201},
		{"and inspected", "GET", "/v1/volumes/oapi-vol", "", "", 200},
		{"a second of that name", "POST", "/v1/volumes?name=oapi-vol&size=4194304", "", "", 409},
		{"and removed", "DELETE", "/v1/volumes/oapi-vol", "", "", 200},
		{"a run of an unknown image", "POST", "/v1/instances", "application/json", `{"image":"no-such-image"}`, 404},
	}
	if len(os.Args) > 3 {
		img := os.Args[3]
		calls = append(calls,
			call{"an image", "GET", "/v1/images/" + img, "", "", 200},
			call{"a run", "POST", "/v1/instances", "application/json",
				`{"image":"` + img + `","name":"oapi-run","start":true,"provider":"spt"}`, 201},
			call{"its wait", "POST", "/v1/instances/oapi-run/wait", "", "", 200},
			call{"its record", "GET", "/v1/instances/oapi-run", "", "", 200},
			call{"its logs", "GET", "/v1/instances/oapi-run/logs", "", "", 200},
			call{"its removal", "DELETE", "/v1/instances/oapi-run", "", "", 200},
		)
	}
	for _, c := range calls {
		check(ctx, router, client, c)
	}
	if failed {
		os.Exit(1)
	}
}

func check(ctx context.Context, router routers.Router, client *http.Client, c call) {
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, base+c.path, body)
	if err != nil {
		result(false, "%s: %v", c.what, err)
		return
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		result(false, "%s: %s %s is not in the description: %v", c.what, c.method, c.path, err)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		result(false, "%s: the request does not match %s: %v", c.what, route.Operation.OperationID, err)
		return
	}
	// ValidateRequest left the body it read (with the description's
	// defaults filled in) in req, which is what is sent
	res, err := client.Do(req)
	if err != nil {
		result(false, "%s: %v", c.what, err)
		return
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode,
		Header: res.Header, Body: io.NopCloser(bytes.NewReader(data)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	err = openapi3filter.ValidateResponse(ctx, out)
	result(err == nil && res.StatusCode == c.status, "%s: %s answers %d (want %d) as the description says: %v",
		c.what, route.Operation.OperationID, res.StatusCode, c.status, err)
}
