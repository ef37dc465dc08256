package guardrail

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// oneKB is a realistic span text of about 1 KB: a support conversation with an email, a
// phone number and a little code.
var oneKB = strings.Repeat("The customer wrote in about a refund for order 18273 placed last week. ", 7) +
	"Please contact me at maria.lopez@example.com or +44 20 7946 0958. " +
	strings.Repeat("The assistant checked the policy and answered politely with the next steps. ", 5)

// agentPromptKB is an agent's model input of about 1 KB: a system prompt and a user turn
// full of words that start injection phrasings ("you are", "new", "show", "output") without
// being one.
var agentPromptKB = "System: You are a travel booking assistant. Answer concisely and cite sources when you use tools. " +
	"You are allowed to show prices, print itineraries and repeat the booking reference. Output JSON when asked.\n" +
	strings.Repeat("User: I need a new flight to Lisbon next week; show me the options and tell me the fare rules. ", 5) +
	strings.Repeat("Context: the customer has a new loyalty tier; updated fares apply to real bookings only. ", 4)

// cpuTime is the process's user and system time; on a shared machine it measures the cost
// of a scan better than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkScanAll1KB(b *testing.B) { benchmarkScan(b, oneKB, Options{}) }

func BenchmarkScanAgentPrompt1KB(b *testing.B) {
	benchmarkScan(b, agentPromptKB, Options{Direction: DirectionInput})
}

func benchmarkScan(b *testing.B, text string, opt Options) {
	s := newScanner(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		s.Scan(text, opt)
	}
	b.ReportMetric(float64(b.N)/(cpuTime()-start).Seconds(), "spans/cpu-s")
}

func BenchmarkScanEach1KB(b *testing.B) {
	s := newScanner(b)
	for _, c := range Categories[:4] {
		b.Run(string(c), func(b *testing.B) {
			b.SetBytes(int64(len(oneKB)))
			start := cpuTime()
			for b.Loop() {
				s.Scan(oneKB, Options{Categories: map[Category]bool{c: true}})
			}
			b.ReportMetric(float64(b.N)/(cpuTime()-start).Seconds(), "spans/cpu-s")
		})
	}
}

func BenchmarkScoreText1KB(b *testing.B) {
	s := newScanner(b)
	fs := &featureScratch{}
	lower := lowerText(oneKB)
	for b.Loop() {
		s.both.scoreText(lower, fs)
	}
}
