package guardrail

const injectionVersion = "@3" // 2: the classifier hashes n-grams by multiplication, retrained; 3: also trained on ordinary agent requests

// Injection finding types.
const (
	TypeInjection = "PROMPT_INJECTION"
	TypeJailbreak = "JAILBREAK"
)

var injectionRules = newPhraseRules([]phraseRuleSource{
	{TypeInjection, `(?i)\b(ignore|disregard|forget|skip|override|bypass)\b[^.!?\n]{0,40}?\b(previous|prior|above|earlier|preceding|all|any|your|the|these|those|initial|original|system)\b[^.!?\n]{0,30}?\b(instructions?|prompts?|rules|directives|guidelines|constraints|context|commands|programming|guardrails|restrictions)\b`},
	{TypeInjection, `(?i)\b(reveal|show|print|repeat|output|leak|tell me|give me|display|spell out)\b[^.!?\n]{0,30}?\b(system prompt|hidden prompt|initial prompt|original prompt|your (instructions|prompt|rules)|the password|secret password|the secret)\b`},
	{TypeInjection, `(?i)\b(new|updated|real|actual) (instructions?|rules|task)\s{0,16}:`},
	{TypeInjection, `(?i)\b(ignoriere|vergiss|missachte)\b[^.!?\n]{0,40}?\b(anweisungen|vorherigen|alle|instruktionen|regeln)\b`},
	{TypeInjection, `(?i)\b(ignora|olvida|oublie|ignore[sz]?)\b[^.!?\n]{0,40}?\b(instrucciones|instructions|istruzioni|précédentes|anteriores|precedenti)\b`},
	{TypeJailbreak, `(?i)\b(do anything now|developer mode|jailbreak(en|ed)?|jail-broken|unfiltered and amoral|without any (restrictions|filters|limitations)|no (ethical|moral) (guidelines|restrictions)|free of all restrictions|stay in character)\b`},
	{TypeJailbreak, `(?i)\b(you are|you're|act as|pretend (to be|you are)|from now on,? you( are|'re| will be)?)\b[^.!?\n]{0,30}?\b(DAN|STAN|DUDE|AIM|evil|unrestricted|uncensored|unfiltered|an? AI with no)\b`},
})

// scanInjection appends injection spans: phrase rules with their match offsets and the
// classifier's verdict over the whole text.
func (s *Scanner) scanInjection(text, lower string, hits *keywordHits, fs *featureScratch, score float64, out []span) []span {
	fs.phrases = injectionRules.each(text, lower, hits, fs.phrases, func(typ string, start, end int) {
		out = append(out, span{cat: CategoryInjection, typ: typ, start: start, end: end, score: 0.9, detector: "injection/rules" + injectionVersion})
	})
	if s.injection != nil && score >= s.injection.Threshold {
		out = append(out, span{cat: CategoryInjection, typ: TypeInjection, start: 0, end: len(text), score: score, detector: "injection/classifier" + injectionVersion})
	}
	return out
}
