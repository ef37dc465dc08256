package main

import (
	"errors"
	"io"
)

func cmdSeed(args []string, stdout, stderr io.Writer) error {
	s := newSettings("seed", "Write synthetic data (not available in this build yet).", stderr)
	var sf storeFlags
	sf.bind(s)
	if err := s.parse(args); err != nil {
		return err
	}
	return errors.New("seed is not available in this build yet")
}
