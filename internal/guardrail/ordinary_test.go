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

// Words that insult only in context are not profanity on their own: the lexicon flagged
// each of these before, while the insults below stay flagged. (The classifier still scores
// the French sentence toxic: its n-grams of "retard" come from English posts.)
func TestEverydayWordsAreNotProfanity(t *testing.T) {
	s := newScanner(t)
	toxic := func(text string) bool {
		for _, f := range s.Scan(text, Options{Direction: DirectionInput}) {
			if strings.HasPrefix(f.Detector, "toxicity/lexicon") {
				return true
			}
		}
		return false
	}
	for _, text := range []string{
		"Move the old invoices to the trash folder.",
		"I hate waiting on hold, can you check my order?",
		"Sorry if this is a stupid question, but how do I export?",
		"The UI looks ugly on mobile, please fix the layout.",
		"Ma commande est en retard depuis une semaine.",
		"Users hate slow pages; add caching.",
	} {
		if toxic(text) {
			t.Errorf("%q is flagged by the lexicon", text)
		}
	}
	for _, text := range []string{"you are a f u c k i n g idiot", "shut up, you moron", "what a dumbass answer"} {
		if !toxic(text) {
			t.Errorf("%q is not flagged by the lexicon", text)
		}
	}
}
