package routing_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/patientsfhir/patientsfhir/routing"
)

// The operator disables a tenant over HTTP: the Directory refuses it at
// once (and every other node within MaxStale). A refused change names the
// field.
func ExampleNewAdmin() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	dir, _ := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore(), Logger: quiet})
	const operator = "an-operator-token-of-at-least-32-characters"
	admin, err := routing.NewAdmin(routing.AdminConfig{Directory: dir, OperatorToken: operator, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	call := func(method, path, body string) {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+operator)
		w := httptest.NewRecorder()
		admin.ServeHTTP(w, r)
		var doc map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &doc)
		fmt.Println(w.Code, doc["state"], doc["field"], doc["error_description"])
	}
	const tenant = "6a1c4f0e-0000-4000-8000-000000000001"
	call("POST", "/tenants", `{"id":"`+tenant+`","name":"Contoso","backend":"epic-east"}`)
	call("PATCH", "/tenants/"+tenant, `{"state":"disabled"}`)
	fmt.Println(errors.Is(dir.Check(ctx, tenant), routing.ErrTenantDisabled))
	call("PATCH", "/tenants/"+tenant, `{"backend":"epic east"}`)
	// Output:
	// 201 active <nil> <nil>
	// 200 disabled <nil> <nil>
	// true
	// 400 <nil> backend backend: must be 1 to 64 characters of [A-Za-z0-9._-]
}
