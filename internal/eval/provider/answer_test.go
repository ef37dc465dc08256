package provider

import "testing"

func TestDecodeObject(t *testing.T) {
	for _, tc := range []struct{ in, key, want string }{
		{`{"score": 80}`, "score", `80`},
		{"Here you go:\n```json\n{\"score\": 70}\n```", "score", `70`},
		{"```\n{\"score\": 60,}\n```", "score", `60`},
		{`I think {"ok": True, "why": None} is right.`, "ok", `true`},
		{`{score: 50, label: 'yes'}`, "label", `"yes"`},
		{"{\u201cscore\u201d: 40}", "score", `40`},
		{`{"a": [1, 2,], }`, "a", `[1, 2]`},
	} {
		obj := DecodeObject(tc.in)
		if got := string(obj[tc.key]); got != tc.want {
			t.Errorf("DecodeObject(%q)[%s] = %q, want %q", tc.in, tc.key, got, tc.want)
		}
	}
	for _, in := range []string{"", "no json here", "[1, 2]", "{ broken"} {
		if obj := DecodeObject(in); obj != nil {
			t.Errorf("DecodeObject(%q) = %v, want nil", in, obj)
		}
	}
}
