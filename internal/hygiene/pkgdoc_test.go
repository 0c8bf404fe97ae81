package hygiene

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxSummary is the longest first paragraph a package doc may have.
const maxSummary = 80

// sentenceEnd finds a sentence ending inside a paragraph (". " followed by more text).
var sentenceEnd = regexp.MustCompile(`[.!?] \S`)

// TestEveryPackageDocIsShort: every package under cmd/ and internal/ has one doc comment whose
// first paragraph is one sentence of at most 80 characters ("Package x …" or "Command x …"),
// followed by the details in a second paragraph, so `go doc` listings stay readable.
func TestEveryPackageDocIsShort(t *testing.T) {
	root := repoRoot(t)
	for _, dir := range goDirs(t, root) {
		doc, name, err := packageDoc(root + "/" + dir)
		if err != nil {
			t.Errorf("%s: %v", dir, err)
			continue
		}
		if msg := checkPackageDoc(doc, name, path.Base(dir)); msg != "" {
			t.Errorf("%s: %s", dir, msg)
		}
	}
}

// packageDoc returns the package doc comment of the non-test files in dir and the package name.
// More than one file with a doc comment is an error: `go doc` would glue them together.
func packageDoc(dir string) (doc, name string, err error) {
	fset := token.NewFileSet()
	notTest := func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }
	pkgs, err := parser.ParseDir(fset, dir, notTest, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return "", "", err
	}
	var docs []*ast.CommentGroup
	var files []string
	for _, p := range pkgs {
		name = p.Name
		for file, f := range p.Files {
			if f.Doc != nil {
				docs = append(docs, f.Doc)
				files = append(files, path.Base(file))
			}
		}
	}
	switch len(docs) {
	case 0:
		return "", name, errNoDoc
	case 1:
		return docs[0].Text(), name, nil
	}
	return "", name, &multiDocError{files}
}

// checkPackageDoc returns what is wrong with a package doc, "" when nothing is.
func checkPackageDoc(doc, name, dirName string) string {
	paras := strings.Split(strings.TrimSpace(doc), "\n\n")
	summary := strings.Join(strings.Fields(paras[0]), " ")
	prefix := "Package " + name + " "
	if name == "main" {
		prefix = "Command " + dirName + " "
	}
	switch {
	case !strings.HasPrefix(summary, prefix):
		return "the doc must start with " + strconv.Quote(prefix) + ": " + strconv.Quote(summary)
	case utf8.RuneCountInString(summary) > maxSummary:
		return "the first paragraph is longer than 80 characters: " + strconv.Quote(summary)
	case !strings.HasSuffix(summary, "."):
		return "the first paragraph must be one sentence ending in a period: " + strconv.Quote(summary)
	case sentenceEnd.MatchString(summary):
		return "the first paragraph must be one sentence: " + strconv.Quote(summary)
	case len(paras) < 2:
		return "details belong in a second paragraph after the one-sentence summary"
	}
	return ""
}
