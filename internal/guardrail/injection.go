package guardrail

import (
	"regexp"
)

const injectionVersion = "@1"

// Injection finding types.
const (
	TypeInjection = "PROMPT_INJECTION"
	TypeJailbreak = "JAILBREAK"
)

// injectionTriggers gate the phrase rules: the regular expressions run only on text that
// contains one of these words, which most text does not.
var injectionTriggers = newKeywordIndex([]string{"ignore", "disregard", "forget", "jailbreak", "dan", "developer mode",
	"system prompt", "pretend", "override", "bypass", "unfiltered", "no restrictions", "instructions",
	"ignorier", "vergiss", "ignora", "oublie", "role-play", "roleplay", "act as", "new rules", "prompt",
	"reveal", "password", "you are", "you're", "from now on", "do anything", "stay in character", "olvida",
	"missachte", "real task", "updated", "new task", "new instruction"})

var injectionRules = []struct {
	typ string
	re  *regexp.Regexp
}{
	{TypeInjection, regexp.MustCompile(`(?i)\b(ignore|disregard|forget|skip|override|bypass)\b[^.!?\n]{0,40}?\b(previous|prior|above|earlier|preceding|all|any|your|the|these|those|initial|original|system)\b[^.!?\n]{0,30}?\b(instructions?|prompts?|rules|directives|guidelines|constraints|context|commands|programming|guardrails|restrictions)\b`)},
	{TypeInjection, regexp.MustCompile(`(?i)\b(reveal|show|print|repeat|output|leak|tell me|give me|display|spell out)\b[^.!?\n]{0,30}?\b(system prompt|hidden prompt|initial prompt|original prompt|your (instructions|prompt|rules)|the password|secret password|the secret)\b`)},
	{TypeInjection, regexp.MustCompile(`(?i)\b(new|updated|real|actual) (instructions?|rules|task)\s*:`)},
	{TypeInjection, regexp.MustCompile(`(?i)\b(ignoriere|vergiss|missachte)\b[^.!?\n]{0,40}?\b(anweisungen|vorherigen|alle|instruktionen|regeln)\b`)},
	{TypeInjection, regexp.MustCompile(`(?i)\b(ignora|olvida|oublie|ignore[sz]?)\b[^.!?\n]{0,40}?\b(instrucciones|instructions|istruzioni|précédentes|anteriores|precedenti)\b`)},
	{TypeJailbreak, regexp.MustCompile(`(?i)\b(do anything now|developer mode|jailbreak(en|ed)?|jail-broken|unfiltered and amoral|without any (restrictions|filters|limitations)|no (ethical|moral) (guidelines|restrictions)|free of all restrictions|stay in character)\b`)},
	{TypeJailbreak, regexp.MustCompile(`(?i)\b(you are|you're|act as|pretend (to be|you are)|from now on,? you( are|'re| will be)?)\b[^.!?\n]{0,30}?\b(DAN|STAN|DUDE|AIM|evil|unrestricted|uncensored|unfiltered|an? AI with no)\b`)},
}

// scanInjection appends injection spans: phrase rules with their match offsets and the
// classifier's verdict over the whole text.
func (s *Scanner) scanInjection(text, lower string, score float64, out []span) []span {
	if injectionTriggers.any(lower) {
		for _, r := range injectionRules {
			for _, m := range r.re.FindAllStringIndex(text, 4) {
				out = append(out, span{cat: CategoryInjection, typ: r.typ, start: m[0], end: m[1], score: 0.9, detector: "injection/rules" + injectionVersion})
			}
		}
	}
	if s.injection != nil && score >= s.injection.Threshold {
		out = append(out, span{cat: CategoryInjection, typ: TypeInjection, start: 0, end: len(text), score: score, detector: "injection/classifier" + injectionVersion})
	}
	return out
}
