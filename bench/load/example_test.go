package load_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/patientsfhir/patientsfhir/bench/load"
)

// The service in process, and the Patients app's three operations once
// each against it.
func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "load-example-")
	defer os.RemoveAll(dir)
	ts := httptest.NewUnstartedServer(nil)
	svc, err := load.Open(ctx, load.Options{Patients: 20, Dir: dir}, "http://"+ts.Listener.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()
	ts.Config.Handler = svc.Handler
	ts.Start()
	defer ts.Close()
	c := load.NewClient(ts.URL, svc.ClientID, svc.Secret, svc.Population, 2, load.DefaultWeights)
	defer c.Close()
	fmt.Println(c.Check(ctx))
	// Output: <nil>
}
