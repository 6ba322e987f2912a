// Package mutation is the conformance kit's mutation catalogue: for every
// rule of the Patients-app contract the kit enforces, at least one
// deliberately broken server, made by an HTTP middleware around a correct
// one (a request rewritten, a response altered). The kit's own tests run
// the kit on each for DSTU2 and STU3 and require that it fails naming the
// rule and its spec section, and that every rule has a mutation. Being
// HTTP-level and version-neutral, the same catalogue can wrap any server
// the kit or a CLI probes.
package mutation
