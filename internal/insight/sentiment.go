package insight

import (
	"math"
	"strings"
	"unicode"
)

// sentiment scores short feedback comments with a lexicon in the manner of VADER (Hutto and
// Gilbert, 2014): word valences summed with boosts for intensifiers, flipped after a
// negation within three words, normalised into [-1, 1] by x/sqrt(x²+15).
func sentiment(text string) float64 {
	words := words(text)
	sum := 0.0
	for i, w := range words {
		v, ok := valence[w]
		if !ok {
			continue
		}
		if i > 0 {
			if b, ok := boosters[words[i-1]]; ok {
				if v > 0 {
					v += b
				} else {
					v -= b
				}
			}
		}
		for j := max(0, i-3); j < i; j++ {
			if negations[words[j]] {
				v *= -0.74
				break
			}
		}
		sum += v
	}
	if strings.Count(text, "!") > 0 && sum != 0 {
		sum += math.Copysign(0.292*float64(min(strings.Count(text, "!"), 4)), sum)
	}
	return sum / math.Sqrt(sum*sum+15)
}

// words lowercases text and splits it into words, keeping apostrophes (don't).
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\''
	})
}

var negations = map[string]bool{"not": true, "no": true, "never": true, "don't": true, "doesn't": true, "didn't": true,
	"isn't": true, "wasn't": true, "can't": true, "cannot": true, "won't": true, "nothing": true, "without": true, "nor": true}

var boosters = map[string]float64{"very": 0.293, "really": 0.293, "extremely": 0.293, "so": 0.293, "totally": 0.293,
	"completely": 0.293, "super": 0.293, "incredibly": 0.293, "quite": 0.1, "slightly": -0.293, "somewhat": -0.293, "barely": -0.293}

// valence holds the mean human ratings (-4 to 4) of words common in feedback on assistants,
// on VADER's scale.
var valence = map[string]float64{
	"good": 1.9, "great": 3.1, "excellent": 2.7, "amazing": 2.8, "awesome": 3.1, "perfect": 2.7, "helpful": 1.8,
	"useful": 1.9, "correct": 1.4, "accurate": 1.7, "right": 1.0, "fast": 1.0, "quick": 1.0, "clear": 1.6, "thanks": 1.9,
	"thank": 1.5, "love": 3.2, "like": 1.5, "nice": 1.8, "fine": 0.8, "solved": 1.6, "works": 1.2, "worked": 1.2,
	"exactly": 0.9, "best": 3.2, "happy": 2.7, "easy": 1.9, "brilliant": 2.8, "impressive": 2.3, "precise": 1.4,
	"bad": -2.5, "wrong": -2.1, "terrible": -2.1, "awful": -2.0, "useless": -1.8, "slow": -1.0, "incorrect": -1.7,
	"broken": -1.9, "fail": -2.5, "failed": -2.3, "fails": -2.3, "error": -1.7, "errors": -1.4, "bug": -1.4,
	"confusing": -1.3, "confused": -1.4, "hate": -2.7, "poor": -2.1, "worse": -2.1, "worst": -3.1, "annoying": -1.7,
	"irrelevant": -1.0, "hallucinated": -1.6, "hallucination": -1.6, "made": 0, "missing": -1.2, "unhelpful": -1.9,
	"outdated": -1.0, "rude": -2.0, "frustrating": -1.9, "stuck": -1.4, "timeout": -1.2, "ignored": -1.5, "nonsense": -1.7,
	"incomplete": -1.3, "vague": -1.1, "misleading": -1.8, "disappointing": -2.2, "garbage": -2.2, "crash": -1.9,
}
