package profile

import (
	"slices"
	"strings"
	"unicode"
)

// PersonalData says which rule marks a header as personal data (a student's
// or family's name, birth date, address, email, phone, login), or "" when
// none does. Headers are read as whole words, camelCase and separators
// split, so "Phonemic Awareness (PSF)" and "Phonics" are not phones and
// "SchoolName" is not a person's name.
func PersonalData(header string) string {
	w := headerWords(header)
	has := func(words ...string) bool {
		for _, x := range w {
			if slices.Contains(words, x) {
				return true
			}
		}
		return false
	}
	switch {
	case isPersonName(w):
		return "a person's name"
	case has("birth", "birthdate", "birthday", "dob", "bday"):
		return "a birth date"
	case has("address", "street", "city", "zip", "zipcode", "postal", "postcode"):
		return "an address"
	case has("email", "mail"):
		return "an email address"
	case has("phone", "telephone", "mobile", "cellphone", "sms"):
		return "a phone number"
	case has("username", "login", "password", "ssn"):
		return "a login or identity number"
	case has("guardian", "guardians", "parent", "parents"):
		return "a parent or guardian"
	}
	return ""
}

// personWords come before "name" when the name is a person's.
var personWords = []string{"first", "last", "middle", "full", "student", "students", "preferred", "legal",
	"given", "family", "sur", "nick", "teacher", "user", "child", "mother", "father", "maiden"}

func isPersonName(w []string) bool {
	if len(w) == 1 && slices.Contains([]string{"name", "first", "last", "mi", "fname", "lname"}, w[0]) {
		return true
	}
	for i, x := range w {
		switch x {
		case "firstname", "lastname", "fullname", "surname", "middlename", "studentname", "nickname",
			"givenname", "familyname", "preferredname", "legalname", "fname", "lname":
			return true
		case "name":
			if i > 0 && slices.Contains(personWords, w[i-1]) {
				return true
			}
		}
	}
	// "Student First", "Student Last", "Last, First"
	return len(w) <= 3 && (slices.Contains(w, "first") || slices.Contains(w, "last")) &&
		(len(w) == 1 || slices.Contains(w, "student") || slices.Contains(w, "first") && slices.Contains(w, "last"))
}

// headerWords splits a header into lower-case words: on anything that is
// not a letter or digit, and where a lower-case letter meets an upper-case
// one (StudentFirstName).
func headerWords(h string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(h)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && unicode.IsLower(rs[i-1]):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return words
}
