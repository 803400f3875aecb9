// Package config fills typed configuration structs from environment
// variables, described by struct tags, and reports every problem at once so
// a misconfigured process fails at startup with one clear message.
//
//	type Config struct {
//		Addr string        `env:"SIYU_GRPC_ADDR" default:"127.0.0.1:9101" desc:"gRPC listen address"`
//		URI  string        `env:"MONGO_URI" required:"true"`
//		TTL  time.Duration `env:"SIYU_TOKEN_TTL" default:"15m"`
//	}
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Lookup finds a variable's value; os.LookupEnv is the usual one.
type Lookup func(name string) (string, bool)

// EnvLookup reads the process environment.
var EnvLookup Lookup = os.LookupEnv

// Var describes one variable a Config reads.
type Var struct {
	Name, Default, Desc string
	Required            bool
}

// Load fills dst (a pointer to a struct) from the process environment.
func Load(dst any) error { return LoadLookup(dst, EnvLookup) }

// LoadLookup fills dst from lookup. An empty value counts as unset, so a
// default applies and a required variable is reported missing. When dst has a
// Validate() error method it runs after every field is set.
func LoadLookup(dst any, lookup Lookup) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config: Load needs a pointer to a struct, got %T", dst)
	}
	var problems []string
	walk(v.Elem(), func(f reflect.Value, sf reflect.StructField, name string) {
		raw, ok := lookup(name)
		if !ok || raw == "" {
			if sf.Tag.Get("required") == "true" {
				problems = append(problems, name+": required")
				return
			}
			raw = sf.Tag.Get("default")
			if raw == "" {
				return
			}
		}
		if err := set(f, raw); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %q %v", name, raw, err))
		}
	})
	if len(problems) > 0 {
		return errors.New("configuration: " + strings.Join(problems, "; "))
	}
	if val, ok := dst.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
	}
	return nil
}

// Describe lists the variables dst reads, for documentation and deployment checks.
func Describe(dst any) []Var {
	var out []Var
	v := reflect.ValueOf(dst)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	walk(v, func(_ reflect.Value, sf reflect.StructField, name string) {
		out = append(out, Var{Name: name, Default: sf.Tag.Get("default"), Desc: sf.Tag.Get("desc"), Required: sf.Tag.Get("required") == "true"})
	})
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

// walk visits every field with an env tag, recursing into untagged structs.
func walk(v reflect.Value, visit func(reflect.Value, reflect.StructField, string)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Tag.Get("env")
		if name == "-" {
			continue
		}
		if name == "" {
			if sf.Type.Kind() == reflect.Struct && sf.Type != durationType {
				walk(v.Field(i), visit)
			}
			continue
		}
		visit(v.Field(i), sf, name)
	}
}

func set(f reflect.Value, raw string) error {
	if f.Type() == durationType {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return errors.New("is not a duration (e.g. 15m, 2h)")
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errors.New("is not a boolean (true/false/1/0)")
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, f.Type().Bits())
		if err != nil {
			return errors.New("is not an integer")
		}
		f.SetInt(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return errors.New("is not a number")
		}
		f.SetFloat(x)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported list type %s", f.Type())
		}
		var items []string
		for _, s := range strings.Split(raw, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("unsupported field type %s", f.Type())
	}
	return nil
}
