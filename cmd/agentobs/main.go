// Command agentobs is the whole platform in one binary: serve, migrate, seed, version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

const usage = `agentobs: observability for LLM agents, in one binary.

Usage:
  agentobs <command> [flags]

Commands:
  serve       run the server (API, ingestion, processing, queries) on the embedded store
  migrate     apply database migrations and exit
  seed        write realistic synthetic traces for demos and benchmarks
  eval        judge tools: "eval calibrate" measures the LLM judge against human labels
  guardrails  train the guardrail classifiers or measure the detectors on labelled data
  bench       load-test a running server with the plan's ramp-and-hold shape, and report
  backup      write a consistent archive of the embedded data directory, also while serving
  restore     replace the embedded data directory with a backup archive (server stopped)
  version     print the version

Run "agentobs <command> --help" for the flags of a command. Every flag can also be set
with an environment variable, shown in its help, or in a file given with --config.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(rest, stdout, stderr)
	case "migrate":
		err = cmdMigrate(rest, stdout, stderr)
	case "seed":
		err = cmdSeed(rest, stdout, stderr)
	case "eval":
		err = cmdEval(rest, stdout, stderr)
	case "guardrails":
		err = cmdGuardrails(rest, stdout, stderr)
	case "bench":
		err = cmdBench(rest, stdout, stderr)
	case "backup":
		err = cmdBackup(rest, stdout, stderr)
	case "restore":
		err = cmdRestore(rest, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "agentobs", buildVersion())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "agentobs: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "agentobs %s: %v\n", cmd, err)
			return 2
		}
		fmt.Fprintf(stderr, "agentobs %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

type usageError struct{ error }

// settings binds flags to environment variables: a flag's default is its variable's value.
type settings struct {
	fs      *flag.FlagSet
	envs    map[string]string // flag name -> env var
	fileEnv map[string]string
	// operands is how many arguments may follow the flags (backup FILE, restore FILE).
	operands int
}

func newSettings(name, summary string, stderr io.Writer) *settings {
	s := &settings{fs: flag.NewFlagSet(name, flag.ContinueOnError), envs: map[string]string{}}
	s.fs.SetOutput(stderr)
	s.fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: agentobs %s [flags]\n\n%s\n\nFlags (environment variable in brackets):\n", name, summary)
		s.fs.PrintDefaults()
	}
	return s
}

func (s *settings) env(name string) (string, bool) {
	if v, ok := os.LookupEnv(name); ok {
		return v, true
	}
	v, ok := s.fileEnv[name]
	return v, ok
}

func (s *settings) str(p *string, flagName, envName, def, help string) {
	s.envs[flagName] = envName
	s.fs.StringVar(p, flagName, def, help+" ["+envName+"]")
}

func (s *settings) integer(p *int, flagName, envName string, def int, help string) {
	s.envs[flagName] = envName
	s.fs.IntVar(p, flagName, def, help+" ["+envName+"]")
}

func (s *settings) float(p *float64, flagName, envName string, def float64, help string) {
	s.envs[flagName] = envName
	s.fs.Float64Var(p, flagName, def, help+" ["+envName+"]")
}

func (s *settings) boolean(p *bool, flagName, envName string, def bool, help string) {
	s.envs[flagName] = envName
	s.fs.BoolVar(p, flagName, def, help+" ["+envName+"]")
}

func (s *settings) duration(p *time.Duration, flagName, envName string, def time.Duration, help string) {
	s.envs[flagName] = envName
	s.fs.DurationVar(p, flagName, def, help+" ["+envName+"]")
}

// parse reads flags, then fills every flag not given on the command line from its
// environment variable or the --config file (environment wins over the file).
func (s *settings) parse(args []string) error {
	var configFile string
	s.fs.StringVar(&configFile, "config", os.Getenv("AGENTOBS_CONFIG"), "file of KEY=VALUE lines with AGENTOBS_* settings [AGENTOBS_CONFIG]")
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	if s.fs.NArg() > s.operands {
		return usageError{fmt.Errorf("unexpected argument %q", s.fs.Arg(s.operands))}
	}
	if configFile != "" {
		m, err := readConfigFile(configFile)
		if err != nil {
			return err
		}
		s.fileEnv = m
	}
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	s.fs.VisitAll(func(f *flag.Flag) {
		envName, ok := s.envs[f.Name]
		if !ok || given[f.Name] {
			return
		}
		if v, ok := s.env(envName); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, usageError{fmt.Errorf("%s=%q: %v", envName, v, err)})
			}
		}
	})
	return errors.Join(errs...)
}

func readConfigFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read config file: %w", err)
	}
	out := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, usageError{fmt.Errorf("%s:%d: expected KEY=VALUE", path, i+1)}
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return out, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError{fmt.Errorf("log level %q: use debug, info, warn or error", level)}
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Errorf("log format %q: use text or json", format)}
}

// signalContext is cancelled by SIGINT or SIGTERM; a second signal exits at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid size %q (e.g. 8MiB)", s)
	}
	return n * mult, nil
}
