package guardrail

import (
	"os"
	"strings"
	"testing"
)

// Ordinary requests to an agent must not read as attacks or abuse. The texts in
// testdata/agent_requests_unseen.txt were written apart from the training rows in
// data/injection_agent_requests.csv (no line is in both) and are never trained on: support,
// analytics, coding, travel and writing requests, system prompts, tool arguments and
// answers, some with the words attacks begin with ("forget the previous draft", "act as a
// tour guide"). The classifiers trained on the public sets alone flagged 17 of these 133
// texts as injections and 5 as toxic.
func TestOrdinaryRequestsAreNotFlagged(t *testing.T) {
	raw, err := os.ReadFile("testdata/agent_requests_unseen.txt")
	if err != nil {
		t.Fatal(err)
	}
	own, err := agentRequests()
	if err != nil {
		t.Fatal(err)
	}
	training := map[string]bool{}
	for _, e := range own.Examples {
		training[e.Text] = true
	}
	s := newScanner(t)
	var texts []string
	flagged := map[Category][]string{}
	for _, text := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if training[text] {
			t.Errorf("%q is also a training row: it measures nothing here", text)
		}
		texts = append(texts, text)
		seen := map[Category]bool{}
		for _, f := range s.Scan(text, Options{Direction: DirectionInput}) {
			if (f.Category == CategoryInjection || f.Category == CategoryToxicity) && !seen[f.Category] {
				seen[f.Category] = true
				flagged[f.Category] = append(flagged[f.Category], text)
			}
		}
	}
	// At most 3 % each: about the false-positive rate the thresholds are chosen for on the
	// public sets' holdout (1.5 % for injection, 10 % for toxicity).
	limit := len(texts) * 3 / 100
	for _, c := range []Category{CategoryInjection, CategoryToxicity} {
		t.Logf("%s: %d of %d ordinary texts flagged: %q", c, len(flagged[c]), len(texts), flagged[c])
		if len(flagged[c]) > limit {
			t.Errorf("%s flagged %d of %d ordinary texts (at most %d): %q", c, len(flagged[c]), len(texts), limit, flagged[c])
		}
	}
}
