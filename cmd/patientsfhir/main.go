package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK      = 0 // everything passed or was done
	exitFailed  = 1 // a check failed, or the server refused or failed a request
	exitUsage   = 2 // the command line is wrong
	usageHeader = `patientsfhir: the operator's command for Patients-app FHIR servers.

  patientsfhir check [flags] [<base-url>...]   probe a FHIR server the way the Patients app does
  patientsfhir clients  list | get | create | disable | enable | tenants      (admin API)
  patientsfhir secrets  list | add | revoke                                    (admin API)
  patientsfhir tenants  list | get | add | rename | set-backend | disable | enable | remove
  patientsfhir keys     list | rotate | retire | remove

The admin commands talk to a running server's admin API (-server, or
PATIENTSFHIR_SERVER, default http://127.0.0.1:8080) with the operator token
from PATIENTSFHIR_OPERATOR_TOKEN. "patientsfhir <command> -h" says more.
`
)

// env reads the environment (os.Getenv; tests pass their own).
type env func(string) string

// run runs one command and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usageHeader)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var err error
	switch args[0] {
	case "check":
		return check(ctx, args[1:], stdout, stderr, getenv)
	case "clients", "secrets", "tenants", "keys":
		err = admin(ctx, args[0], args[1:], stdout, stderr, getenv)
	default:
		fmt.Fprintf(stderr, "patientsfhir: unknown command %q\n\n%s", args[0], usageHeader)
		return exitUsage
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "patientsfhir %s: %s\n", args[0], ue.msg)
		if ue.usage != "" {
			fmt.Fprintf(stderr, "\n%s", ue.usage)
		}
		return exitUsage
	default:
		fmt.Fprintf(stderr, "patientsfhir %s: %v\n", args[0], err)
		return exitFailed
	}
}

// usageError is a wrong command line: the message and what is right.
type usageError struct{ msg, usage string }

func (e usageError) Error() string { return e.msg }

// parse parses flags wherever they are among the arguments (flags after
// positional arguments too) and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// oneLine keeps the first line of s, trimmed.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
