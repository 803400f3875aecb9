package testkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var reasonShape = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

// makers are the calls whose string arguments are reasons: fault.New and
// the services' small wrappers around it, errs' status helpers.
var makers = map[string]bool{"New": true, "newErr": true, "retryAfter": true, "invalid": true, "Invalid": true, "activityInvalid": true}

// ReasonsDeclaredOnce fails t for every reason written as a literal in the
// non-test Go files under dir outside the files named declared (paths
// relative to dir): a string passed to fault.New or a wrapper of it, a
// fault.Reason conversion, a Reason field, or a constant or variable typed
// fault.Reason. It also fails when a constant of one reason is declared
// twice (two error variables may share a reason with different messages).
// Reasons are declared in one place per service and used by name.
func ReasonsDeclaredOnce(t testing.TB, dir string, declared ...string) {
	t.Helper()
	fset := token.NewFileSet()
	seen := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.HasSuffix(path, ".pb.go") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		inDecl := slices.Contains(declared, filepath.ToSlash(rel))
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		report := func(lit ast.Expr, how string) {
			b, ok := lit.(*ast.BasicLit)
			if !ok || b.Kind != token.STRING {
				return
			}
			s, err := strconv.Unquote(b.Value)
			if err != nil || !reasonShape.MatchString(s) {
				return
			}
			pos := fset.Position(b.Pos()).String()
			if !inDecl {
				t.Errorf("%s: reason %q %s outside %v; declare it there and use it by name", pos, s, how, declared)
				return
			}
			if first, dup := seen[s]; dup && how == "declared" {
				t.Errorf("%s: reason %q declared again (first at %s)", pos, s, first)
			}
			if how == "declared" {
				seen[s] = pos
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fault" && name == "Reason" && len(n.Args) == 1 {
						report(n.Args[0], "converted")
						return true
					}
				}
				if makers[name] {
					for _, a := range n.Args {
						report(a, "made")
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Reason" {
					report(n.Value, "made")
				}
			case *ast.ValueSpec:
				if sel, ok := n.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Reason" {
					for _, v := range n.Values {
						report(v, "declared")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
