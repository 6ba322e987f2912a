package main

import "fmt"

// The request log names routes, not resources: ids and query strings
// (names, birth dates) never reach the log.
func Example_route() {
	fmt.Println(route("/stu3/Patient/pat-1"))
	fmt.Println(route("/dstu2/Patient/_search"))
	fmt.Println(route("/stu3/Observation"))
	// Output:
	// /stu3/Patient/{id}
	// /dstu2/Patient/_search
	// /stu3/Observation
}
