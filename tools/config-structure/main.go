// Prints, as JSON, the S3 regions the s3 driver knows and the structure of the registry's configuration.Configuration type as its parser
// sees it: for each struct field its Go name (what REGISTRY_* environment variables match, upper-cased)
// and its yaml key (what config.yml uses), and for maps, lists and free-form values what lies below.
// Run inside a distribution source tree (see generate.sh); the output is src/config/config-structure-data.ts.
package main

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go/aws/endpoints"
	CONFIGURATION_IMPORT
)

// node: {"t":"struct","f":[...]}, {"t":"map","v":node}, {"t":"list","v":node}, {"t":"any"}, {"t":"value"}
type field struct {
	Go     string `json:"go"`
	Yaml   string `json:"yaml"`
	Inline bool   `json:"inline,omitempty"`
	Node   *node  `json:"node"`
}

type node struct {
	T string   `json:"t"`
	F []field  `json:"f,omitempty"`
	V *node    `json:"v,omitempty"`
}

func walk(t reflect.Type, depth int, seen map[reflect.Type]bool) *node {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if depth > 12 || seen[t] || strings.HasPrefix(pkg, "crypto") || (strings.HasPrefix(pkg, "net") && t.Kind() == reflect.Struct) {
		return &node{T: "value"}
	}
	switch t.Kind() {
	case reflect.Struct:
		seen[t] = true
		defer delete(seen, t)
		n := &node{T: "struct"}
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if sf.PkgPath != "" { // unexported
				continue
			}
			name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = strings.ToLower(sf.Name)
			}
			f := field{Go: strings.ToUpper(sf.Name), Yaml: name, Node: walk(sf.Type, depth+1, seen)}
			if opts == "inline" && sf.Type.Kind() == reflect.Struct {
				f.Inline = true
			}
			n.F = append(n.F, f)
		}
		return n
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return &node{T: "value"}
		}
		return &node{T: "map", V: walk(t.Elem(), depth+1, seen)}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return &node{T: "value"}
		}
		return &node{T: "list", V: walk(t.Elem(), depth+1, seen)}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			return &node{T: "any"}
		}
		return &node{T: "value"}
	default:
		return &node{T: "value"}
	}
}

func main() {
	// The regions the s3 driver accepts without a regionendpoint (its init() reads the same list).
	regions := []string{}
	for _, p := range endpoints.DefaultPartitions() {
		for region := range p.Regions() {
			regions = append(regions, region)
		}
	}
	sort.Strings(regions)
	out := map[string]any{
		"config":    walk(reflect.TypeOf(configuration.Configuration{}), 0, map[reflect.Type]bool{}),
		"s3Regions": regions,
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
