package fhirjson

// The checks below implement the regular expressions that FHIR DSTU2 and STU3
// give for the date and time primitives, without regexp for speed.

// CheckDate reports whether s is a FHIR date: YYYY, YYYY-MM or YYYY-MM-DD.
func CheckDate(s string) bool {
	i, ok := datePart(s)
	return ok && i == len(s)
}

// CheckDateTime reports whether s is a FHIR dateTime: a date, optionally
// followed (when the day is given) by Thh:mm:ss[.fff] and a zone (Z or ±hh:mm).
func CheckDateTime(s string) bool {
	i, ok := datePart(s)
	if !ok {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != 'T' || !fullDate(s) {
		return false
	}
	j, ok := timePart(s, i+1)
	if !ok {
		return false
	}
	return zone(s, j)
}

// CheckInstant reports whether s is a FHIR instant: a full date and time
// with seconds and a zone.
func CheckInstant(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		return false
	}
	i, ok := datePart(s)
	if !ok || i >= len(s) || s[i] != 'T' || !fullDate(s) {
		return false
	}
	j, ok := timePart(s, i+1)
	return ok && zone(s, j)
}

// CheckTime reports whether s is a FHIR time: hh:mm:ss[.fff].
func CheckTime(s string) bool {
	j, ok := timePart(s, 0)
	return ok && j == len(s)
}

func digits(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for k := i; k < i+n; k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return true
}

func num2(s string, i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }

// fullDate reports whether the date part of s has a day.
func fullDate(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	return len(s) >= 10 && s[7] == '-'
}

// datePart scans [-]YYYY[-MM[-DD]] and returns the index after it.
func datePart(s string) (int, bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if !digits(s, i, 4) {
		return 0, false
	}
	i += 4
	if i == len(s) || s[i] != '-' {
		return i, true
	}
	if !digits(s, i+1, 2) {
		return 0, false
	}
	if m := num2(s, i+1); m < 1 || m > 12 {
		return 0, false
	}
	i += 3
	if i == len(s) || s[i] != '-' {
		return i, true
	}
	if !digits(s, i+1, 2) || num2(s, i+1) > 31 {
		return 0, false
	}
	return i + 3, true
}

// timePart scans hh:mm:ss[.f+] from i.
func timePart(s string, i int) (int, bool) {
	if !digits(s, i, 2) || num2(s, i) > 23 || len(s) < i+8 || s[i+2] != ':' ||
		!digits(s, i+3, 2) || num2(s, i+3) > 59 || s[i+5] != ':' ||
		!digits(s, i+6, 2) || num2(s, i+6) > 60 {
		return 0, false
	}
	i += 8
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return 0, false
		}
	}
	return i, true
}

// zone checks that s[i:] is exactly Z or ±hh:mm (hours up to 13, or 14:00).
func zone(s string, i int) bool {
	if i == len(s)-1 && s[i] == 'Z' {
		return true
	}
	if i+6 != len(s) || (s[i] != '+' && s[i] != '-') || !digits(s, i+1, 2) ||
		s[i+3] != ':' || !digits(s, i+4, 2) {
		return false
	}
	h, m := num2(s, i+1), num2(s, i+4)
	return (h <= 13 && m <= 59) || (h == 14 && m == 0)
}

// CheckID reports whether s is a FHIR id: 1 to 64 characters from
// A-Z, a-z, 0-9, '-' and '.'.
func CheckID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
