package deploy

import (
	"bufio"
	"bytes"
	"reflect"
)

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

func reflectValue(ptr any) reflect.Value { return reflect.ValueOf(ptr).Elem() }
