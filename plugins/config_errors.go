package plugins

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// decodeError turns encoding/json's message about a value of the wrong type
// ("cannot unmarshal number into Go struct field Config.timeout of type
// string") into one that names the field as written in the config file, what
// it takes, and the value found. Other errors keep their text.
func decodeError(raw []byte, err error) error {
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) || typ.Field == "" {
		return fmt.Errorf("invalid plugins.%s config: %s", Name, strings.TrimPrefix(err.Error(), "json: "))
	}
	got := jsonKinds[typ.Value]
	if got == "" {
		got = typ.Value
	}
	if v, ok := lookup(raw, typ.Field); ok {
		b, _ := json.Marshal(v)
		got = fmt.Sprintf("%s (%s)", b, got)
	}
	return fieldError(typ.Field, fmt.Sprintf("should be %s, got %s", expected(typ.Field, typ.Type), got))
}

// expected says in words what a field of type t takes.
func expected(field string, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if durationFields[field[strings.LastIndex(field, ".")+1:]] {
			return fmt.Sprintf("a duration string such as %q", (8 * time.Second).String())
		}
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(expected("", t.Elem()), "a ") + "s"
	default:
		return "an object"
	}
}

// jsonKinds names the JSON kinds encoding/json reports.
var jsonKinds = map[string]string{"number": "a number", "string": "a string", "bool": "a boolean", "array": "an array", "object": "an object"}

// durationFields are the config's fields that take a Go duration.
var durationFields = map[string]bool{"timeout": true, "ttl": true, "failure_ttl": true, "tag_ttl": true}

// lookup finds the value at a dotted field path in raw, for the message.
func lookup(raw []byte, field string) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	for _, k := range strings.Split(field, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}
